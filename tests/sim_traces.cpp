// .npy reader/writer, SHA-256 and trace bundles. The bundles here are small
// SYNTHETIC bundles generated at test time (random data, not real layers);
// tests on the real shipped bundles live in sim_real_traces.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "bundle.h"
#include "errors.h"
#include "npy.h"
#include "sha256.h"
#include "sim_test_util.h"

namespace fs = std::filesystem;
using namespace sparq;

namespace {

using TempDir = testing_util::ScratchDir;

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

void write_raw(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream o(path, std::ios::binary);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(nullptr, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  EXPECT_EQ(sha256_hex(reinterpret_cast<const std::uint8_t*>(abc.data()), 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes: two blocks
  EXPECT_EQ(sha256_hex(reinterpret_cast<const std::uint8_t*>(two.data()), two.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(reinterpret_cast<const std::uint8_t*>(million.data()), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Npy, RoundTripsEveryDtype) {
  TempDir t;
  const std::vector<std::uint8_t> u = {0, 1, 255, 7, 8, 9};
  const std::vector<std::int8_t> i = {-128, 0, 127, -1};
  const std::vector<std::int32_t> i4 = {-2147483647 - 1, 5, 2147483647};
  const std::vector<std::int64_t> i8 = {-5, 1LL << 40};
  const std::vector<float> f = {1.5f, -0.25f, 3e-8f};
  write_npy(t / "u.npy", make_npy(DType::U1, {2, 3}, u));
  write_npy(t / "i.npy", make_npy(DType::I1, {4}, i));
  write_npy(t / "i4.npy", make_npy(DType::I4, {3, 1}, i4));
  write_npy(t / "i8.npy", make_npy(DType::I8, {2}, i8));
  write_npy(t / "f.npy", make_npy(DType::F4, {1, 1, 3}, f));
  auto a = read_npy(t / "u.npy");
  EXPECT_EQ(a.dtype, DType::U1);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(std::vector<std::uint8_t>(a.data<std::uint8_t>(), a.data<std::uint8_t>() + 6), u);
  auto b = read_npy(t / "i.npy");
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(b.data<std::int8_t>()[0], -128);
  EXPECT_EQ(read_npy(t / "i4.npy").data<std::int32_t>()[2], 2147483647);
  EXPECT_EQ(read_npy(t / "i8.npy").data<std::int64_t>()[1], 1LL << 40);
  EXPECT_FLOAT_EQ(read_npy(t / "f.npy").data<float>()[2], 3e-8f);
  // The header is 64-byte aligned as NumPy writes it.
  const auto img = serialize_npy(make_npy(DType::U1, {2, 3}, u));
  EXPECT_EQ((img.size() - 6) % 64, 0u);
  // A scalar round-trips too.
  write_npy(t / "s.npy", make_npy(DType::F4, {}, std::vector<float>{2.0f}));
  EXPECT_TRUE(read_npy(t / "s.npy").shape.empty());
}

TEST(Npy, ParsesNumpyWrittenHeaders) {
  // Header as numpy 1.24 writes np.arange(3, dtype='<i4') (version 1.0) and a 2.0 header.
  std::string h = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  h.append(117 - h.size(), ' ');  // 10-byte preamble + 118-byte header = 128
  std::vector<std::uint8_t> f = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const std::string hdr = h + "\n";
  f.push_back(static_cast<std::uint8_t>(hdr.size()));
  f.push_back(0);
  f.insert(f.end(), hdr.begin(), hdr.end());
  for (int v = 0; v < 3; ++v)
    for (int b = 0; b < 4; ++b) f.push_back(static_cast<std::uint8_t>(b == 0 ? v : 0));
  auto a = parse_npy(f, "x.npy");
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.data<std::int32_t>()[2], 2);
  std::vector<std::uint8_t> f2 = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, static_cast<std::uint8_t>(hdr.size()), 0, 0, 0};
  f2.insert(f2.end(), hdr.begin(), hdr.end());
  f2.insert(f2.end(), f.end() - 12, f.end());
  EXPECT_EQ(parse_npy(f2, "y.npy").data<std::int32_t>()[1], 1);
}

TEST(Npy, MalformedFilesGiveClearErrorsNamingTheFile) {
  TempDir t;
  const auto good = serialize_npy(make_npy(DType::U1, {2, 2}, std::vector<std::uint8_t>{1, 2, 3, 4}));
  struct Case {
    std::string name;
    std::vector<std::uint8_t> bytes;
    std::string expect;
  };
  std::vector<Case> cases;
  auto bad_magic = good;
  bad_magic[1] = 'X';
  cases.push_back({"magic.npy", bad_magic, "bad magic"});
  auto bad_version = good;
  bad_version[6] = 9;
  cases.push_back({"version.npy", bad_version, "unsupported .npy format version 9"});
  cases.push_back({"short.npy", std::vector<std::uint8_t>(good.begin(), good.begin() + 20), "truncated .npy header"});
  cases.push_back({"data.npy", std::vector<std::uint8_t>(good.begin(), good.end() - 1), "truncated data"});
  auto longer = good;
  longer.push_back(0);
  cases.push_back({"long.npy", longer, "longer than its header"});
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s(good.begin(), good.end());
    s.replace(s.find(from), from.size(), to);
    return bytes_of(s);
  };
  cases.push_back({"dtype.npy", replace("'|u1'", "'>f8'"), "unsupported dtype '>f8'"});
  cases.push_back({"order.npy", replace("False", "True "), "Fortran-ordered"});
  cases.push_back({"shape.npy", replace("(2, 2)", "(2, x)"), "bad shape"});
  cases.push_back({"nodescr.npy", replace("'descr'", "'dexxr'"), "unexpected key 'dexxr'"});
  // A shape whose byte count wraps around 2^64 must not pass as an empty array.
  cases.push_back({"huge.npy", replace("(2, 2)", "(2097152, 2097152, 4194304)"), "too large"});
  for (const auto& c : cases) {
    write_raw(t / c.name, c.bytes);
    const std::string msg = error_of([&] { read_npy(t / c.name); });
    EXPECT_NE(msg.find(c.name), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
  EXPECT_NE(error_of([&] { read_npy(t / "missing.npy"); }).find("cannot open"), std::string::npos);
}

namespace {

LayerTrace synthetic_layer(const std::string& name, std::mt19937& rng) {
  LayerTrace L;
  L.info.name = name;
  L.info.op = "conv2d";
  ConvGeometry& g = L.info.geo;
  g.H = 5, g.W = 4, g.C_in = 3, g.C_out = 2, g.KH = 3, g.KW = 3,
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 1;
  L.info.activation_scale = 0.05;
  std::uniform_int_distribution<int> a(0, 255), w(-127, 127);
  L.input.resize(5 * 4 * 3);
  for (auto& x : L.input) x = static_cast<std::uint8_t>(a(rng));
  L.weights.resize(3 * 3 * 3 * 2);
  for (auto& x : L.weights) x = static_cast<std::int8_t>(w(rng));
  L.weight_scales = {0.01f, 0.02f};
  L.bias = {0.5f, -0.5f};
  L.float_output.assign(static_cast<std::size_t>(g.H_out()) * g.W_out() * g.C_out, 1.0f);
  return L;
}

BundleManifest synthetic_meta() {
  BundleManifest m;
  m.name = "synthetic";
  m.model_name = "synthetic-test-layer";
  m.model_source = "generated by tests/sim_traces.cpp (random data, not a real network)";
  m.pretrained = false;
  return m;
}

void edit_file(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto p = s.find(from);
  ASSERT_NE(p, std::string::npos) << from;
  s.replace(p, from.size(), to);
  std::ofstream(path) << s;
}

}  // namespace

TEST(Bundle, WriteReadRoundTrip) {
  TempDir t;
  std::mt19937 rng(1);
  const auto L = synthetic_layer("conv_a", rng);
  write_bundle(t / "b", synthetic_meta(), {L});
  const BundleManifest m = read_manifest(t / "b");
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.name, "synthetic");
  EXPECT_FALSE(m.pretrained);
  const LayerInfo& info = m.layer("conv_a");
  EXPECT_EQ(info.geo.H_out(), 5);
  EXPECT_EQ(info.geo.pad_left, 1);
  EXPECT_EQ(info.input.sha256.size(), 64u);
  const LayerTrace r = load_layer(m, info);
  EXPECT_EQ(r.input, L.input);
  EXPECT_EQ(r.weights, L.weights);
  EXPECT_EQ(r.weight_scales, L.weight_scales);
  EXPECT_EQ(r.bias, L.bias);
  EXPECT_EQ(r.float_output, L.float_output);
  EXPECT_NE(error_of([&] { m.layer("nope"); }).find("no layer named 'nope'"), std::string::npos);
}

// Each malformed manifest or array gives one InputError naming the manifest
// file and the key or layer.
TEST(Bundle, BadInputMatrix) {
  std::mt19937 rng(2);
  const auto L = synthetic_layer("conv_a", rng);
  struct Case {
    std::string what;
    std::function<void(const std::string& dir)> corrupt;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"malformed yaml", [](const std::string& d) { edit_file(d + "/manifest.yaml", "layers:", "layers: [\n"); },
       "malformed YAML"},
      {"unknown top key",
       [](const std::string& d) { edit_file(d + "/manifest.yaml", "name: synthetic", "nmae: x\nname: synthetic"); },
       "'nmae' is not a known key"},
      {"unknown layer key",
       [](const std::string& d) { edit_file(d + "/manifest.yaml", "groups: 1", "groups: 1\n    strides: [1, 1]"); },
       "(conv_a): 'strides' is not a known key"},
      {"wrong type", [](const std::string& d) { edit_file(d + "/manifest.yaml", "groups: 1", "groups: one"); },
       "'groups' must be an integer"},
      {"bad op", [](const std::string& d) { edit_file(d + "/manifest.yaml", "op: conv2d", "op: pool"); },
       "'op' must be conv2d"},
      {"geometry mismatch",
       [](const std::string& d) {
         edit_file(d + "/manifest.yaml", "output_shape: [5, 4, 2]", "output_shape: [4, 4, 2]");
       },
       "'output_shape'"},
      {"missing key",
       [](const std::string& d) { edit_file(d + "/manifest.yaml", "activation_scale:", "activation_scalx:"); },
       "not a known key"},
      {"bad scale",
       [](const std::string& d) { edit_file(d + "/manifest.yaml", "activation_scale: 0.05", "activation_scale: -1"); },
       "'activation_scale' must be a positive"},
      {"wrong version",
       [](const std::string& d) { edit_file(d + "/manifest.yaml", "format_version: 1", "format_version: 7"); },
       "'format_version' is not supported"},
  };
  for (const auto& c : cases) {
    TempDir t;
    write_bundle(t / "b", synthetic_meta(), {L});
    c.corrupt(t / "b");
    const std::string msg = error_of([&] { read_manifest(t / "b"); });
    EXPECT_NE(msg.find("manifest.yaml"), std::string::npos) << c.what << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.what << ": " << msg;
  }
  TempDir t;
  EXPECT_NE(error_of([&] { read_manifest(t / "absent"); }).find("manifest not found"), std::string::npos);
}

TEST(Bundle, BadArraysAreRejectedOnLoad) {
  std::mt19937 rng(3);
  const auto L = synthetic_layer("conv_a", rng);
  auto load = [](const std::string& dir) {
    const auto m = read_manifest(dir);
    load_layer(m, m.layers[0]);
  };
  {  // missing array file
    TempDir t;
    write_bundle(t / "b", synthetic_meta(), {L});
    fs::remove(t / "b/conv_a.weights.npy");
    const auto msg = error_of([&] { load(t / "b"); });
    EXPECT_NE(msg.find("layer 'conv_a': files.weights"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
  }
  {  // truncated array: caught by the npy reader (before sha256)
    TempDir t;
    write_bundle(t / "b", synthetic_meta(), {L});
    fs::resize_file(t / "b/conv_a.input.npy", fs::file_size(t / "b/conv_a.input.npy") - 3);
    EXPECT_NE(error_of([&] { load(t / "b"); }).find("truncated data"), std::string::npos);
  }
  {  // changed contents: sha256 mismatch
    TempDir t;
    write_bundle(t / "b", synthetic_meta(), {L});
    auto a = read_npy(t / "b/conv_a.input.npy");
    a.bytes[0] ^= 1;
    write_npy(t / "b/conv_a.input.npy", a);
    EXPECT_NE(error_of([&] { load(t / "b"); }).find("sha256 mismatch"), std::string::npos);
    const auto m = read_manifest(t / "b");
    EXPECT_NO_THROW(load_layer(m, m.layers[0], /*verify_sha=*/false));
  }
  {  // shape not matching the manifest
    TempDir t;
    LayerTrace bad = L;
    write_bundle(t / "b", synthetic_meta(), {bad});
    write_npy(t / "b/conv_a.weight_scales.npy", make_npy(DType::F4, {3}, std::vector<float>{1, 1, 1}));
    const auto m = read_manifest(t / "b");
    const auto msg = error_of([&] { load_layer(m, m.layers[0], false); });
    EXPECT_NE(msg.find("has shape [3], the manifest implies [2]"), std::string::npos) << msg;
  }
  {  // wrong dtype
    TempDir t;
    write_bundle(t / "b", synthetic_meta(), {L});
    write_npy(t / "b/conv_a.weights.npy", make_npy(DType::U1, {3, 3, 3, 2}, std::vector<std::uint8_t>(54, 1)));
    const auto m = read_manifest(t / "b");
    EXPECT_NE(error_of([&] { load_layer(m, m.layers[0], false); }).find("expected |i1"), std::string::npos);
  }
  {  // values out of range (weights of -128 are valid int8, docs/arithmetic.md §1)
    TempDir t;
    LayerTrace ok = L;
    ok.weights[5] = -128;
    write_bundle(t / "a", synthetic_meta(), {ok});
    EXPECT_NO_THROW(load(t / "a"));
    LayerTrace bad = L;
    bad.float_output[3] = std::numeric_limits<float>::quiet_NaN();
    write_bundle(t / "b", synthetic_meta(), {bad});
    EXPECT_NE(error_of([&] { load(t / "b"); }).find("float_output[3] is not finite"), std::string::npos);
    LayerTrace bad2 = L;
    bad2.weight_scales[1] = 0.0f;
    write_bundle(t / "c", synthetic_meta(), {bad2});
    EXPECT_NE(error_of([&] { load(t / "c"); }).find("weight_scales[1] must be positive"), std::string::npos);
  }
}
