#include "network.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <type_traits>

#include "errors.h"
#include "npy.h"
#include "sha256.h"
#include "yaml_util.h"

namespace fs = std::filesystem;

namespace sparq {

namespace {

// Errors: "<network.yaml>: node 'X': <what>".
struct Where {
  std::string file, node;
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(file + ": " + (node.empty() ? "" : "node '" + node + "': ") + why);
  }
};

YAML::Node need(const YAML::Node& n, const std::string& key, const Where& w) {
  if (!n.IsMap()) w.fail("must be a mapping");
  YAML::Node v = n[key];
  if (!v) w.fail("'" + key + "' is missing");
  return v;
}

template <typename T>
T as(const YAML::Node& v, const std::string& key, const Where& w, const char* expected) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!v.IsScalar() || !is_decimal_integer(v.Scalar()))
      w.fail("'" + key + "' must be " + expected + " (a decimal integer)");
  }
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    w.fail("'" + key + "' must be " + expected);
  }
}

std::vector<std::int64_t> int_list(const YAML::Node& n, const std::string& key, const Where& w, std::size_t len = 0) {
  const YAML::Node v = need(n, key, w);
  if (!v.IsSequence() || (len && v.size() != len) || v.size() == 0)
    w.fail("'" + key + "' must be a list of " + (len ? std::to_string(len) + " " : std::string()) + "integers");
  std::vector<std::int64_t> out;
  for (const auto& e : v) out.push_back(as<std::int64_t>(e, key, w, "a list of integers"));
  return out;
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

std::int64_t product(const std::vector<std::int64_t>& s) {
  std::int64_t p = 1;
  for (auto v : s) p *= v;
  return p;
}

void check_keys(const YAML::Node& n, const std::set<std::string>& allowed, const Where& w) {
  if (!n.IsMap()) w.fail("must be a mapping");
  for (const auto& kv : n) {
    const auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      w.fail("key '" + k + "' is not known here (known: " + list + ")");
    }
  }
}

// Loads one array named by `files.key` (or a {path, sha256} mapping) and
// checks its dtype and shape.
NpyArray load_array(const std::string& dir, const YAML::Node& ref, const std::string& key, DType dtype,
                    const std::vector<std::int64_t>& shape, bool verify_sha, const Where& w, const NetworkArrays* mem) {
  if (!ref) w.fail("'" + key + "' is missing (a required array)");
  std::string rel, sha;
  if (ref.IsScalar()) {
    rel = ref.Scalar();
  } else {
    check_keys(ref, {"path", "sha256"}, w);
    rel = as<std::string>(need(ref, "path", w), key + ".path", w, "a string");
    if (ref["sha256"]) sha = as<std::string>(ref["sha256"], key + ".sha256", w, "a hex string");
  }
  std::string path;
  std::vector<std::uint8_t> file;
  if (mem) {  // held in memory: the manifest names the array
    path = "array '" + rel + "'";
    const auto it = mem->find(rel);
    if (it == mem->end()) w.fail(key + ": " + path + " is not among the arrays given");
    file = it->second;
  } else {
    path = (fs::path(dir) / rel).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) w.fail(key + ": array file " + path + " not found");
    file = read_npy_file(path);
  }
  if (verify_sha && !sha.empty()) {
    const std::string got = sha256_hex(file.data(), file.size());
    if (got != sha) w.fail(key + ": sha256 mismatch for " + path + " (manifest " + sha + ", file " + got + ")");
  }
  NpyArray a = parse_npy(file, path);
  if (a.dtype != dtype)
    w.fail(key + ": " + path + " has dtype " + dtype_descr(a.dtype) + ", expected " + dtype_descr(dtype));
  if (a.shape != shape)
    w.fail(key + ": " + path + " has shape " + a.shape_string() + ", expected " + shape_text(shape));
  return a;
}

template <typename T>
std::vector<T> to_vec(const NpyArray& a, std::size_t first = 0, std::size_t count = SIZE_MAX) {
  const std::size_t n = std::min(count, a.count() - first);
  std::vector<T> v(n);
  if (n) std::memcpy(v.data(), a.bytes.data() + first * sizeof(T), n * sizeof(T));
  return v;
}

void check_finite(const std::vector<float>& v, const std::string& what, const Where& w) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) w.fail(what + "[" + std::to_string(i) + "] is not finite");
}

// Shape of a node's output from its inputs and attributes (the bundle's
// output_shape must agree).
std::vector<std::int64_t> infer_shape(NetNode& n, const std::vector<std::vector<std::int64_t>>& in, const Where& w) {
  auto hwc = [&](std::size_t i) {
    if (in[i].size() != 3)
      w.fail("input " + std::to_string(i) + " has shape " + shape_text(in[i]) + ", expected [H, W, C]");
    return in[i];
  };
  auto pooled = [](std::int64_t size, int k, int s, int p0, int p1) { return (size + p0 + p1 - k) / s + 1; };
  switch (n.op) {
    case NetOp::Conv2D:
    case NetOp::DepthwiseConv2D:
    case NetOp::Dense: return {};  // by the caller (needs the weights' shape)
    case NetOp::Relu:
    case NetOp::Relu6:
    case NetOp::Identity:
    case NetOp::Softmax: return in[0];
    case NetOp::MaxPool:
    case NetOp::AvgPool: {
      const auto s = hwc(0);
      if (n.pool[0] < 1 || n.pool[1] < 1 || n.stride[0] < 1 || n.stride[1] < 1) w.fail("pool and stride must be >= 1");
      for (int p : n.padding)
        if (p < 0) w.fail("padding must be >= 0");
      if (n.padding[0] >= n.pool[0] || n.padding[1] >= n.pool[0] || n.padding[2] >= n.pool[1] ||
          n.padding[3] >= n.pool[1])
        w.fail("padding must be smaller than the pool window");
      const auto ho = pooled(s[0], n.pool[0], n.stride[0], n.padding[0], n.padding[1]);
      const auto wo = pooled(s[1], n.pool[1], n.stride[1], n.padding[2], n.padding[3]);
      if (ho < 1 || wo < 1) w.fail("the pool window is larger than its (padded) input " + shape_text(s));
      return {ho, wo, s[2]};
    }
    case NetOp::GlobalAvgPool: return {hwc(0)[2]};
    case NetOp::Concat: {
      auto s = hwc(0);
      for (std::size_t i = 1; i < in.size(); ++i) {
        const auto t = hwc(i);
        if (t[0] != s[0] || t[1] != s[1])
          w.fail("inputs " + shape_text(s) + " and " + shape_text(t) + " differ in height or width (shape mismatch)");
        s[2] += t[2];
      }
      return s;
    }
    case NetOp::Add:
      for (std::size_t i = 1; i < in.size(); ++i)
        if (in[i] != in[0])
          w.fail("inputs " + shape_text(in[0]) + " and " + shape_text(in[i]) + " differ (shape mismatch)");
      return in[0];
    case NetOp::Pad: {
      const auto s = hwc(0);
      for (int p : n.padding)
        if (p < 0) w.fail("padding must be >= 0");
      return {s[0] + n.padding[0] + n.padding[1], s[1] + n.padding[2] + n.padding[3], s[2]};
    }
    case NetOp::Reshape: return n.shape;  // checked by element count
  }
  return {};
}

}  // namespace

const char* net_op_name(NetOp op) {
  return enum_name(op);
}

bool is_weighted(NetOp op) {
  return op == NetOp::Conv2D || op == NetOp::DepthwiseConv2D || op == NetOp::Dense;
}

std::int64_t NetNode::size() const {
  return product(shape);
}

int Network::conv_count() const {
  int c = 0;
  for (const auto& n : nodes) c += is_weighted(n.op);
  return c;
}

int Network::node_index(const std::string& nm) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == nm) return static_cast<int>(i);
  return -1;
}

namespace {

// The reader proper: net.manifest_path and net.dir set; arrays from the
// bundle directory, or from mem.
Network read_network_root(Network net, const YAML::Node& root, bool verify_sha, std::int64_t max_images,
                          const NetworkArrays* mem) {
  Where top{net.manifest_path, ""};
  try {
    check_keys(root,
               {"format", "format_version", "name", "model", "exporter", "input", "calibration", "outputs", "images",
                "nodes", "notes"},
               top);
    if (as<std::string>(need(root, "format", top), "format", top, "a string") != "sparq-network-bundle")
      top.fail("'format' must be 'sparq-network-bundle'");
    if (as<int>(need(root, "format_version", top), "format_version", top, "an integer") != 1)
      top.fail("'format_version' is not supported (this reader knows version 1)");
    net.name = as<std::string>(need(root, "name", top), "name", top, "a string");
    if (const YAML::Node m = root["model"]) {
      if (m["name"]) net.model_name = as<std::string>(m["name"], "model.name", top, "a string");
      if (m["source"]) net.model_source = as<std::string>(m["source"], "model.source", top, "a string");
    }
    const YAML::Node in = need(root, "input", top);
    if (!in.IsMap()) top.fail("'input' must be a mapping");
    for (const auto& kv : in)
      if (const auto k = kv.first.as<std::string>();
          k != "name" && k != "shape" && k != "scale" && k != "mean" && k != "std" && k != "preprocessing")
        top.fail("'input." + k + "' is not known (known: name, shape, scale, mean, std, preprocessing)");
    net.input_name = as<std::string>(need(in, "name", top), "input.name", top, "a string");
    net.input_shape = int_list(in, "shape", top, 3);
    if (net.input_shape[2] != 3 || net.input_shape[0] < 1 || net.input_shape[1] < 1)
      top.fail("'input.shape' must be [H, W, 3]");
    net.input_scale = as<float>(need(in, "scale", top), "input.scale", top, "a number");
    if (!(net.input_scale > 0) || !std::isfinite(net.input_scale)) top.fail("'input.scale' must be positive");
    // Optional normalization per channel, both or neither (traces/README.md).
    if (in["mean"] || in["std"]) {
      for (const char* k : {"mean", "std"}) {
        const YAML::Node v = need(in, k, top);
        if (!v.IsSequence() || v.size() != 3) top.fail("'input." + std::string(k) + "' must be a list of 3 numbers");
        std::vector<float>& dst = std::string(k) == "mean" ? net.input_mean : net.input_std;
        for (const auto& e : v) {
          dst.push_back(as<float>(e, std::string("input.") + k, top, "a list of 3 numbers"));
          if (!std::isfinite(dst.back()) || (dst.back() <= 0 && std::string(k) == "std"))
            top.fail("'input." + std::string(k) + "' must hold finite numbers" +
                     (std::string(k) == "std" ? ", all positive" : ""));
        }
      }
    }

    // Nodes, in order; every input must be produced by an earlier node.
    std::map<std::string, int> index;
    index[net.input_name] = -1;
    const YAML::Node nodes = need(root, "nodes", top);
    if (!nodes.IsSequence() || nodes.size() == 0) top.fail("'nodes' must be a non-empty list");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const YAML::Node y = nodes[i];
      Where w{net.manifest_path, "nodes[" + std::to_string(i) + "]"};
      if (!y.IsMap()) w.fail("must be a mapping");
      NetNode n;
      n.name = as<std::string>(need(y, "name", w), "name", w, "a string");
      if (n.name.empty()) w.fail("'name' must not be empty");
      w.node = n.name;
      if (index.count(n.name)) w.fail("a tensor named '" + n.name + "' is defined twice");
      const std::string op = as<std::string>(need(y, "op", w), "op", w, "a string");
      try {
        n.op = parse_enum<NetOp>(op);
      } catch (const std::invalid_argument&) {
        w.fail("op '" + op + "' is not supported (supported: " + enum_choices<NetOp>(", ") + ")");
      }
      const bool weighted = is_weighted(n.op);
      std::set<std::string> keys{"name", "op", "inputs", "output_shape", "meta", "note"};
      if (weighted)
        keys.insert(
            {"kernel", "stride", "dilation", "padding", "groups", "activation_signed", "activation_scale", "files"});
      if (n.op == NetOp::MaxPool || n.op == NetOp::AvgPool) keys.insert({"pool", "stride", "padding"});
      if (n.op == NetOp::Pad) keys.insert("padding");
      check_keys(y, keys, w);
      const YAML::Node inputs = need(y, "inputs", w);
      if (!inputs.IsSequence() || inputs.size() == 0) w.fail("'inputs' must be a non-empty list of tensor names");
      std::vector<std::vector<std::int64_t>> in_shapes;
      for (const auto& t : inputs) {
        const std::string tn = as<std::string>(t, "inputs", w, "a list of tensor names");
        const auto it = index.find(tn);
        if (it == index.end())
          w.fail("input '" + tn + "' is not produced by any earlier node (dangling tensor; the network input is '" +
                 net.input_name + "')");
        n.inputs.push_back(it->second);
        in_shapes.push_back(it->second < 0 ? net.input_shape : net.nodes[static_cast<std::size_t>(it->second)].shape);
      }
      const std::size_t arity = n.inputs.size();
      if ((n.op == NetOp::Concat || n.op == NetOp::Add) ? arity < 2 : arity != 1)
        w.fail(std::string("op ") + op + " takes " +
               (n.op == NetOp::Concat || n.op == NetOp::Add ? "two or more inputs" : "one input") + ", got " +
               std::to_string(arity));
      n.shape = int_list(y, "output_shape", w);
      for (auto v : n.shape)
        if (v < 1) w.fail("'output_shape' " + shape_text(n.shape) + " must be positive");
      if (n.op == NetOp::MaxPool || n.op == NetOp::AvgPool) {
        const auto k = int_list(y, "pool", w, 2), s = int_list(y, "stride", w, 2), pd = int_list(y, "padding", w, 4);
        for (int j = 0; j < 2; ++j) n.pool[j] = static_cast<int>(k[j]), n.stride[j] = static_cast<int>(s[j]);
        for (int j = 0; j < 4; ++j) n.padding[j] = static_cast<int>(pd[j]);
      }
      if (n.op == NetOp::Pad) {
        const auto pd = int_list(y, "padding", w, 4);
        for (int j = 0; j < 4; ++j) n.padding[j] = static_cast<int>(pd[j]);
      }
      if (weighted) {
        const auto& s = in_shapes[0];
        ConvGeometry& g = n.geo;
        const auto k = int_list(y, "kernel", w, 2), st = int_list(y, "stride", w, 2), d = int_list(y, "dilation", w, 2);
        const auto pd = int_list(y, "padding", w, 4);
        g.groups = as<int>(need(y, "groups", w), "groups", w, "an integer");
        if (n.op == NetOp::Dense) {
          g.H = g.W = 1;
          g.C_in = static_cast<int>(product(s));
          if (k != std::vector<std::int64_t>{1, 1} || g.groups != 1)
            w.fail("a dense node has kernel [1, 1] and groups 1");
        } else {
          if (s.size() != 3) w.fail("input has shape " + shape_text(s) + ", a convolution needs [H, W, C]");
          g.H = static_cast<int>(s[0]), g.W = static_cast<int>(s[1]), g.C_in = static_cast<int>(s[2]);
          if (n.op == NetOp::DepthwiseConv2D && g.groups != g.C_in)
            w.fail("a depthwise convolution has groups = C_in (" + std::to_string(g.C_in) + "), got " +
                   std::to_string(g.groups));
        }
        g.KH = static_cast<int>(k[0]), g.KW = static_cast<int>(k[1]);
        g.SH = static_cast<int>(st[0]), g.SW = static_cast<int>(st[1]);
        g.DH = static_cast<int>(d[0]), g.DW = static_cast<int>(d[1]);
        g.pad_top = static_cast<int>(pd[0]), g.pad_bottom = static_cast<int>(pd[1]);
        g.pad_left = static_cast<int>(pd[2]), g.pad_right = static_cast<int>(pd[3]);
        g.C_out = static_cast<int>(n.shape.back());
        try {
          g.validate();
        } catch (const std::invalid_argument& e) {
          w.fail(std::string("geometry: ") + e.what());
        }
        const std::vector<std::int64_t> expect = n.op == NetOp::Dense
                                                     ? std::vector<std::int64_t>{g.C_out}
                                                     : std::vector<std::int64_t>{g.H_out(), g.W_out(), g.C_out};
        if (n.shape != expect && !(n.op == NetOp::Dense && n.shape.size() == 1 && n.shape[0] == g.C_out))
          w.fail("output_shape " + shape_text(n.shape) + " does not match the geometry's " + shape_text(expect) +
                 " (shape mismatch)");
        n.activation_signed = as<bool>(need(y, "activation_signed", w), "activation_signed", w, "true or false");
        n.activation_scale = as<float>(need(y, "activation_scale", w), "activation_scale", w, "a number");
        if (!(n.activation_scale > 0) || !std::isfinite(n.activation_scale))
          w.fail("'activation_scale' must be positive and finite");
        const YAML::Node files = y["files"];
        if (!files || !files.IsMap()) w.fail("'files' is missing (weights, weight_scales, bias, float_weights)");
        check_keys(files, {"weights", "weight_scales", "bias", "float_weights"}, w);
        const std::vector<std::int64_t> ws{g.KH, g.KW, g.cin_per_group(), g.C_out};
        const std::vector<std::int64_t> cs{g.C_out};
        n.weights =
            to_vec<std::int8_t>(load_array(net.dir, files["weights"], "weights", DType::I1, ws, verify_sha, w, mem));
        n.weight_scales = to_vec<float>(
            load_array(net.dir, files["weight_scales"], "weight_scales", DType::F4, cs, verify_sha, w, mem));
        n.bias = to_vec<float>(load_array(net.dir, files["bias"], "bias", DType::F4, cs, verify_sha, w, mem));
        n.float_weights = to_vec<float>(
            load_array(net.dir, files["float_weights"], "float_weights", DType::F4, ws, verify_sha, w, mem));
        for (std::size_t j = 0; j < n.weight_scales.size(); ++j)
          if (!(n.weight_scales[j] > 0) || !std::isfinite(n.weight_scales[j]))
            w.fail("weight_scales[" + std::to_string(j) + "] must be positive and finite");
        check_finite(n.bias, "bias", w);
        check_finite(n.float_weights, "float_weights", w);
      } else {
        const auto expect = infer_shape(n, in_shapes, w);
        if (n.op == NetOp::Reshape || n.op == NetOp::GlobalAvgPool || n.op == NetOp::Softmax) {
          if (product(expect) != product(n.shape))
            w.fail("output_shape " + shape_text(n.shape) + " has " + std::to_string(product(n.shape)) +
                   " elements, its input " + std::to_string(product(expect)) + " (shape mismatch)");
        } else if (expect != n.shape) {
          w.fail("output_shape " + shape_text(n.shape) + " does not match " + shape_text(expect) +
                 " computed from its inputs (shape mismatch)");
        }
      }
      index[n.name] = static_cast<int>(net.nodes.size());
      net.nodes.push_back(std::move(n));
    }

    const YAML::Node outs = need(root, "outputs", top);
    for (const char* key : {"logits", "probabilities"}) {
      const std::string t = as<std::string>(need(outs, key, top), std::string("outputs.") + key, top, "a tensor name");
      const int idx = net.node_index(t);
      if (idx < 0) top.fail(std::string("outputs.") + key + ": no node named '" + t + "' (dangling tensor)");
      (std::string(key) == "logits" ? net.logits : net.probabilities) = idx;
    }
    net.classes = static_cast<int>(net.nodes[static_cast<std::size_t>(net.logits)].size());
    if (net.nodes[static_cast<std::size_t>(net.probabilities)].op != NetOp::Softmax)
      top.fail("outputs.probabilities must be a softmax node");

    const YAML::Node im = need(root, "images", top);
    Where wi{net.manifest_path, ""};
    const int count = as<int>(need(im, "count", wi), "images.count", wi, "an integer");
    if (count < 1) wi.fail("'images.count' must be >= 1");
    const auto S = net.input_shape;
    const std::int64_t N = count;
    const NpyArray px =
        load_array(net.dir, im["pixels"], "images.pixels", DType::U1, {N, S[0], S[1], S[2]}, verify_sha, wi, mem);
    const NpyArray fl = load_array(net.dir, im["float_logits"], "images.float_logits", DType::F4, {N, net.classes},
                                   verify_sha, wi, mem);
    const NpyArray fp = load_array(net.dir, im["float_probabilities"], "images.float_probabilities", DType::F4,
                                   {N, net.classes}, verify_sha, wi, mem);
    net.images = max_images > 0 ? static_cast<int>(std::min<std::int64_t>(max_images, N)) : count;
    const std::size_t per = static_cast<std::size_t>(S[0] * S[1] * S[2]);
    net.pixels = to_vec<std::uint8_t>(px, 0, per * static_cast<std::size_t>(net.images));
    net.float_logits = to_vec<float>(fl, 0, static_cast<std::size_t>(net.classes) * net.images);
    net.float_probs = to_vec<float>(fp, 0, static_cast<std::size_t>(net.classes) * net.images);
    check_finite(net.float_logits, "images.float_logits", wi);
    if (const YAML::Node list = im["list"]; list && list.IsSequence())
      for (std::size_t i = 0; i < list.size() && static_cast<int>(i) < net.images; ++i)
        net.image_paths.push_back(list[i].IsMap() && list[i]["path"] ? list[i]["path"].as<std::string>()
                                                                     : "image " + std::to_string(i));
    while (static_cast<int>(net.image_paths.size()) < net.images)
      net.image_paths.push_back("image " + std::to_string(net.image_paths.size()));
  } catch (const YAML::Exception& e) {
    top.fail(std::string("unexpected YAML structure: ") + e.what());
  }
  return net;
}

}  // namespace

Network read_network(const std::string& dir_in, bool verify_sha, std::int64_t max_images) {
  Network net;
  fs::path p(dir_in);
  std::error_code ec;
  if (fs::is_directory(p, ec)) p /= "network.yaml";
  net.manifest_path = p.string();
  net.dir = p.parent_path().empty() ? "." : p.parent_path().string();
  if (!fs::exists(p, ec)) Where{net.manifest_path, ""}.fail("network bundle manifest not found");
  const YAML::Node root = load_yaml_file(net.manifest_path, "network bundle manifest");
  return read_network_root(std::move(net), root, verify_sha, max_images, nullptr);
}

Network read_network_memory(const std::string& name, const std::string& manifest, const NetworkArrays& arrays,
                            std::int64_t max_images) {
  Network net;
  net.manifest_path = name;
  net.dir = ".";
  const YAML::Node root = load_yaml_text(manifest, name);
  return read_network_root(std::move(net), root, true, max_images, &arrays);
}

}  // namespace sparq
