#include "bundle.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <type_traits>

#include "atomic_file.h"
#include "errors.h"
#include "safe_io.h"
#include "sha256.h"
#include "yaml_util.h"

namespace fs = std::filesystem;

namespace sparq {
namespace {

struct Ctx {
  std::string file;
  std::string where;  // e.g. "layers[3] (conv2d_4)"
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(file + ": " + (where.empty() ? "" : where + ": ") + (key.empty() ? "" : "'" + key + "' ") + why);
  }
};

YAML::Node need(const YAML::Node& n, const std::string& key, const Ctx& c) {
  YAML::Node v = n[key];
  if (!v) c.fail(key, "is missing");
  return v;
}

template <typename T>
T as(const YAML::Node& v, const std::string& key, const Ctx& c, const char* expected) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (v.IsScalar() && !v.Scalar().empty() && v.Scalar()[0] >= '0' && v.Scalar()[0] <= '9' &&
        !is_decimal_integer(v.Scalar()))
      c.fail(key, std::string("must be ") + expected + " written in decimal without leading zeros" +
                      (v.IsScalar() ? ", got '" + v.Scalar() + "'" : std::string()));
  }
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    c.fail(key, std::string("must be ") + expected);
  }
}

std::vector<int> int_list(const YAML::Node& n, const std::string& key, std::size_t len, const Ctx& c) {
  YAML::Node v = need(n, key, c);
  if (!v.IsSequence() || v.size() != len) c.fail(key, "must be a list of " + std::to_string(len) + " integers");
  std::vector<int> out;
  for (const auto& e : v) out.push_back(as<int>(e, key, c, "a list of integers"));
  return out;
}

void check_keys(const YAML::Node& n, const std::set<std::string>& allowed, const Ctx& c) {
  if (!n.IsMap()) c.fail("", "must be a mapping");
  for (const auto& kv : n) {
    const auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      c.fail(k, "is not a known key here (known: " + list + ")");
    }
  }
}

ArrayRef array_ref(const YAML::Node& files, const std::string& key, const Ctx& c) {
  YAML::Node v = files[key];
  ArrayRef r;
  if (v.IsScalar()) {
    r.path = v.as<std::string>();
    return r;
  }
  check_keys(v, {"path", "sha256"}, Ctx{c.file, c.where + ": files." + key});
  r.path = as<std::string>(need(v, "path", c), "files." + key + ".path", c, "a string");
  if (v["sha256"]) r.sha256 = as<std::string>(v["sha256"], "files." + key + ".sha256", c, "a hex string");
  return r;
}

}  // namespace

const LayerInfo& BundleManifest::layer(const std::string& lname) const {
  for (const auto& l : layers)
    if (l.name == lname) return l;
  std::string known;
  for (const auto& l : layers) known += (known.empty() ? "" : ", ") + l.name;
  throw InputError(manifest_path + ": no layer named '" + lname + "' (layers: " + known + ")");
}

namespace {
BundleManifest manifest_from_yaml(const YAML::Node& root, BundleManifest b);

BundleManifest read_manifest_impl(const std::string& dir_or_manifest) {
  BundleManifest b;
  fs::path p(dir_or_manifest);
  std::error_code ec;
  if (fs::is_directory(p, ec)) p /= "manifest.yaml";
  b.manifest_path = p.string();
  b.dir = p.parent_path().empty() ? "." : p.parent_path().string();
  if (!fs::exists(p, ec) && !ec) throw InputError(b.manifest_path + ": trace bundle manifest not found");
  const YAML::Node root = load_yaml_file(b.manifest_path, "trace bundle manifest");
  return manifest_from_yaml(root, b);
}

BundleManifest manifest_from_yaml(const YAML::Node& root, BundleManifest b) {
  Ctx c{b.manifest_path, ""};
  if (!root.IsMap()) c.fail("", "must be a YAML mapping");
  check_keys(root, {"format", "format_version", "name", "model", "image", "calibration", "exporter", "layers", "notes"},
             c);
  if (as<std::string>(need(root, "format", c), "format", c, "a string") != "sparq-trace-bundle")
    c.fail("format", "must be 'sparq-trace-bundle'");
  if (as<int>(need(root, "format_version", c), "format_version", c, "an integer") != 1)
    c.fail("format_version", "is not supported (this reader knows version 1)");
  b.name = as<std::string>(need(root, "name", c), "name", c, "a string");
  if (YAML::Node m = root["model"]) {
    if (m["name"]) b.model_name = as<std::string>(m["name"], "model.name", c, "a string");
    if (m["source"]) b.model_source = as<std::string>(m["source"], "model.source", c, "a string");
    if (m["pretrained"]) b.pretrained = as<bool>(m["pretrained"], "model.pretrained", c, "true or false");
  }
  if (YAML::Node im = root["image"])
    if (im["path"]) b.image_path = as<std::string>(im["path"], "image.path", c, "a string");
  YAML::Node layers = need(root, "layers", c);
  if (!layers.IsSequence() || layers.size() == 0) c.fail("layers", "must be a non-empty list");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const YAML::Node& n = layers[i];
    Ctx lc{b.manifest_path, "layers[" + std::to_string(i) + "]"};
    if (n.IsMap() && n["name"] && n["name"].IsScalar()) lc.where += " (" + n["name"].as<std::string>() + ")";
    check_keys(n,
               {"name", "op", "input_shape", "output_shape", "kernel", "stride", "dilation", "padding", "groups",
                "activation_signed", "activation_scale", "input_source", "files", "meta",
                // informational keys written by the exporters (traces/README.md)
                "float_input", "float_output_source", "post_ops", "note", "stats"},
               lc);
    LayerInfo L;
    L.name = as<std::string>(need(n, "name", lc), "name", lc, "a string");
    if (const std::string why = output_name_problem(L.name); !why.empty()) lc.fail("name", why);
    if (!seen.insert(L.name).second) lc.fail("name", "is not unique in the bundle");
    L.op = as<std::string>(need(n, "op", lc), "op", lc, "a string");
    if (L.op != "conv2d" && L.op != "depthwise_conv2d" && L.op != "dense")
      lc.fail("op", "must be conv2d, depthwise_conv2d or dense, got '" + L.op + "'");
    const auto in = int_list(n, "input_shape", 3, lc);
    const auto out = int_list(n, "output_shape", 3, lc);
    const auto k = int_list(n, "kernel", 2, lc);
    const auto s = int_list(n, "stride", 2, lc);
    const auto d = n["dilation"] ? int_list(n, "dilation", 2, lc) : std::vector<int>{1, 1};
    const auto pad = int_list(n, "padding", 4, lc);
    ConvGeometry& g = L.geo;
    g.H = in[0], g.W = in[1], g.C_in = in[2], g.C_out = out[2];
    g.KH = k[0], g.KW = k[1], g.SH = s[0], g.SW = s[1], g.DH = d[0], g.DW = d[1];
    g.pad_top = pad[0], g.pad_bottom = pad[1], g.pad_left = pad[2], g.pad_right = pad[3];
    g.groups = n["groups"] ? as<int>(n["groups"], "groups", lc, "an integer") : 1;
    try {
      g.validate();
    } catch (const std::invalid_argument& e) {
      lc.fail("", std::string("bad geometry: ") + e.what());
    }
    if (g.H_out() != out[0] || g.W_out() != out[1])
      lc.fail("output_shape", "[" + std::to_string(out[0]) + ", " + std::to_string(out[1]) + ", ...] does not match " +
                                  "the geometry, which gives " + std::to_string(g.H_out()) + "x" +
                                  std::to_string(g.W_out()));
    if (L.op == "dense" && (g.H != 1 || g.W != 1 || g.KH != 1 || g.KW != 1))
      lc.fail("op", "a dense layer must be stored as a 1x1 conv on a 1x1 input");
    if (L.op == "depthwise_conv2d" && g.groups != g.C_in) lc.fail("groups", "must equal C_in for depthwise_conv2d");
    if (n["activation_signed"])
      L.activation_signed = as<bool>(n["activation_signed"], "activation_signed", lc, "true or false");
    L.activation_scale = as<double>(need(n, "activation_scale", lc), "activation_scale", lc, "a number");
    if (!(L.activation_scale > 0) || !std::isfinite(L.activation_scale))
      lc.fail("activation_scale", "must be a positive finite number");
    if (n["input_source"]) L.input_source = as<std::string>(n["input_source"], "input_source", lc, "a string");
    YAML::Node files = need(n, "files", lc);
    check_keys(files, {"input", "weights", "weight_scales", "bias", "float_output"},
               Ctx{lc.file, lc.where + ": files"});
    for (const char* req : {"input", "weights", "weight_scales"})
      if (!files[req]) lc.fail(std::string("files.") + req, "is missing");
    L.input = array_ref(files, "input", lc);
    L.weights = array_ref(files, "weights", lc);
    L.weight_scales = array_ref(files, "weight_scales", lc);
    if (files["bias"]) L.bias = array_ref(files, "bias", lc);
    if (files["float_output"]) L.float_output = array_ref(files, "float_output", lc);
    b.layers.push_back(std::move(L));
  }
  return b;
}

}  // namespace

BundleManifest read_manifest(const std::string& dir_or_manifest) {
  try {
    return read_manifest_impl(dir_or_manifest);
  } catch (const YAML::Exception& e) {
    throw InputError(dir_or_manifest + ": unexpected YAML structure: " + e.what());
  }
}

BundleManifest parse_manifest(const std::string& text, const std::string& manifest_path) {
  BundleManifest b;
  b.manifest_path = manifest_path;
  b.dir = fs::path(manifest_path).parent_path().empty() ? "." : fs::path(manifest_path).parent_path().string();
  try {
    return manifest_from_yaml(load_yaml_text(text, manifest_path), b);
  } catch (const YAML::Exception& e) {
    throw InputError(manifest_path + ": unexpected YAML structure: " + e.what());
  }
}

namespace {

struct Expect {
  const std::string* where;
  const std::string* path;
  const std::vector<DType>* dtypes;
  const std::vector<std::int64_t>* shape;
};

// Header checks before the data is read: a wrong shape or dtype never costs
// reading (or allocating) the array.
void check_header(const NpyHeader& h, const void* ctx) {
  const Expect& e = *static_cast<const Expect*>(ctx);
  bool ok = false;
  for (auto d : *e.dtypes) ok |= (h.dtype == d);
  if (!ok) {
    std::string exp;
    for (auto d : *e.dtypes) exp += (exp.empty() ? "" : " or ") + std::string(dtype_descr(d));
    throw InputError(*e.where + ": " + *e.path + " has dtype " + dtype_descr(h.dtype) + ", expected " + exp);
  }
  if (h.shape != *e.shape) {
    NpyArray got, want;
    got.shape = h.shape;
    want.shape = *e.shape;
    throw InputError(*e.where + ": " + *e.path + " has shape " + got.shape_string() + ", the manifest implies " +
                     want.shape_string());
  }
}

NpyArray load_checked(const BundleManifest& b, const LayerInfo& L, const ArrayRef& r, const char* key,
                      std::vector<DType> dtypes, const std::vector<std::int64_t>& shape, bool verify_sha) {
  const std::string path = (fs::path(b.dir) / r.path).string();
  const std::string where = b.manifest_path + ": layer '" + L.name + "': files." + key;
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec) throw InputError(where + ": array file " + path + " not found");
  const Expect e{&where, &path, &dtypes, &shape};
  const std::vector<std::uint8_t> file = read_npy_file(path, &check_header, &e);
  NpyArray a = parse_npy(file, path);
  if (verify_sha && !r.sha256.empty()) {
    const std::string got = sha256_hex(file.data(), file.size());
    if (got != r.sha256)
      throw InputError(where + ": sha256 mismatch for " + path + " (manifest " + r.sha256 + ", file " + got + ")");
  }
  return a;
}

template <typename T>
std::vector<T> to_vec(const NpyArray& a) {
  std::vector<T> v(a.count());
  if (!v.empty()) std::memcpy(v.data(), a.bytes.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

LayerTrace load_layer(const BundleManifest& b, const LayerInfo& L, bool verify_sha) {
  LayerTrace t;
  t.info = L;
  const ConvGeometry& g = L.geo;
  const std::string where = b.manifest_path + ": layer '" + L.name + "'";
  const DType act = L.activation_signed ? DType::I1 : DType::U1;
  t.input = to_vec<std::uint8_t>(load_checked(b, L, L.input, "input", {act}, {g.H, g.W, g.C_in}, verify_sha));
  t.weights = to_vec<std::int8_t>(
      load_checked(b, L, L.weights, "weights", {DType::I1}, {g.KH, g.KW, g.cin_per_group(), g.C_out}, verify_sha));
  t.weight_scales =
      to_vec<float>(load_checked(b, L, L.weight_scales, "weight_scales", {DType::F4}, {g.C_out}, verify_sha));
  if (L.bias) t.bias = to_vec<float>(load_checked(b, L, *L.bias, "bias", {DType::F4}, {g.C_out}, verify_sha));
  if (L.float_output)
    t.float_output = to_vec<float>(
        load_checked(b, L, *L.float_output, "float_output", {DType::F4}, {g.H_out(), g.W_out(), g.C_out}, verify_sha));
  check_layer_values(t, where);
  return t;
}

void check_layer_values(const LayerTrace& t, const std::string& where) {
  for (std::size_t i = 0; i < t.weight_scales.size(); ++i)
    if (!(t.weight_scales[i] > 0) || !std::isfinite(t.weight_scales[i]))
      throw InputError(where + ": weight_scales[" + std::to_string(i) + "] must be positive and finite");
  for (std::size_t i = 0; i < t.bias.size(); ++i)
    if (!std::isfinite(t.bias[i])) throw InputError(where + ": bias[" + std::to_string(i) + "] is not finite");
  for (std::size_t i = 0; i < t.float_output.size(); ++i)
    if (!std::isfinite(t.float_output[i]))
      throw InputError(where + ": float_output[" + std::to_string(i) + "] is not finite");
}

namespace {

ArrayRef write_array(const std::string& dir, const std::string& file, const NpyArray& a) {
  const auto bytes = serialize_npy(a);
  write_file_atomic((fs::path(dir) / file).string(), std::string(bytes.begin(), bytes.end()));
  return ArrayRef{file, sha256_hex(bytes.data(), bytes.size())};
}

void emit_ref(YAML::Emitter& e, const char* key, const ArrayRef& r) {
  e << YAML::Key << key << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value << r.path << YAML::Key
    << "sha256" << YAML::Value << r.sha256 << YAML::EndMap;
}

YAML::Emitter& flow(YAML::Emitter& e, std::initializer_list<int> v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (int x : v) e << x;
  return e << YAML::EndSeq;
}

}  // namespace

void write_bundle(const std::string& dir, const BundleManifest& meta, const std::vector<LayerTrace>& layers) {
  ensure_directory(dir);
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "format" << YAML::Value << "sparq-trace-bundle";
  e << YAML::Key << "format_version" << YAML::Value << 1;
  e << YAML::Key << "name" << YAML::Value << meta.name;
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << meta.model_name
    << YAML::Key << "source" << YAML::Value << meta.model_source << YAML::Key << "pretrained" << YAML::Value
    << meta.pretrained << YAML::EndMap;
  e << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const auto& t : layers) {
    const LayerInfo& L = t.info;
    const ConvGeometry& g = L.geo;
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << L.name;
    e << YAML::Key << "op" << YAML::Value << L.op;
    e << YAML::Key << "input_shape" << YAML::Value;
    flow(e, {g.H, g.W, g.C_in});
    e << YAML::Key << "output_shape" << YAML::Value;
    flow(e, {g.H_out(), g.W_out(), g.C_out});
    e << YAML::Key << "kernel" << YAML::Value;
    flow(e, {g.KH, g.KW});
    e << YAML::Key << "stride" << YAML::Value;
    flow(e, {g.SH, g.SW});
    e << YAML::Key << "dilation" << YAML::Value;
    flow(e, {g.DH, g.DW});
    e << YAML::Key << "padding" << YAML::Value;
    flow(e, {g.pad_top, g.pad_bottom, g.pad_left, g.pad_right});
    e << YAML::Key << "groups" << YAML::Value << g.groups;
    e << YAML::Key << "activation_signed" << YAML::Value << L.activation_signed;
    e << YAML::Key << "activation_scale" << YAML::Value << L.activation_scale;
    if (!L.input_source.empty()) e << YAML::Key << "input_source" << YAML::Value << L.input_source;
    e << YAML::Key << "files" << YAML::Value << YAML::BeginMap;
    const std::string base = file_component(L.name);  // never a path
    emit_ref(e, "input",
             write_array(dir, base + ".input.npy",
                         make_npy(L.activation_signed ? DType::I1 : DType::U1, {g.H, g.W, g.C_in}, t.input)));
    emit_ref(e, "weights",
             write_array(dir, base + ".weights.npy",
                         make_npy(DType::I1, {g.KH, g.KW, g.cin_per_group(), g.C_out}, t.weights)));
    emit_ref(e, "weight_scales",
             write_array(dir, base + ".weight_scales.npy", make_npy(DType::F4, {g.C_out}, t.weight_scales)));
    if (!t.bias.empty())
      emit_ref(e, "bias", write_array(dir, base + ".bias.npy", make_npy(DType::F4, {g.C_out}, t.bias)));
    if (!t.float_output.empty())
      emit_ref(e, "float_output",
               write_array(dir, base + ".float_output.npy",
                           make_npy(DType::F4, {g.H_out(), g.W_out(), g.C_out}, t.float_output)));
    e << YAML::EndMap << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  write_file_atomic((fs::path(dir) / "manifest.yaml").string(), std::string(e.c_str()) + "\n");
}

}  // namespace sparq
