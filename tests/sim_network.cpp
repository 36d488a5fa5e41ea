// Whole networks (sim/network*.cpp, sparq-sim infer):
// - a synthetic network bundle with every op, written here: the float engine
//   against an independent double-precision reference written from the op
//   definitions; every design's network run bit-identical between the
//   functional core and the array models (fast, stepped, structural);
// - bad bundles: an unsupported op, a dangling tensor, a shape mismatch, a
//   missing weight give one error naming the node, exit 2;
// - the real network bundles (tools/export/network_bundles.sh; skipped when
//   absent unless SPARQ_REQUIRE_NET_BUNDLES=1): the folded float graph run by
//   sparq-sim reproduces the original tfjs network's outputs, int8 agrees
//   with float on top-1, a wrong op or channel order is caught, and the
//   array model equals the functional core for every paper design.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "bundle.h"
#include "errors.h"
#include "network.h"
#include "network_exec.h"
#include "npy.h"
#include "sim_test_util.h"

using namespace sparq;
namespace fs = std::filesystem;
using sparq::testing_util::ScratchDir;

namespace {

// ---------------------------------------------------------------- synthetic
// A small graph with every op of the format. Shapes: input 9x9x3.
struct SynNode {
  std::string name, op;
  std::vector<std::string> inputs;
  std::vector<std::int64_t> shape;
  // conv: kernel, stride, padding, groups, cout; pools: pool, stride, padding
  int kh = 1, kw = 1, sh = 1, sw = 1, groups = 1, cout = 0;
  int pad[4] = {0, 0, 0, 0};
  std::vector<double> w, b;  // HWIO float weights, bias
  bool is_signed = false;
  double scale = 0;
};

using DTensor = std::vector<double>;

// Independent double-precision reference of the float graph: direct loops
// from the definitions (no lowering, no shared code with the simulator).
struct Reference {
  std::map<std::string, DTensor> t;
  std::map<std::string, std::vector<std::int64_t>> shape;
};

DTensor ref_conv(const SynNode& n, const DTensor& x, const std::vector<std::int64_t>& s) {
  const int H = static_cast<int>(s[0]), W = static_cast<int>(s[1]), C = static_cast<int>(s[2]);
  const int Ho = static_cast<int>(n.shape[0]), Wo = static_cast<int>(n.shape[1]);
  const int cg = C / n.groups, ng = n.cout / n.groups;
  DTensor y(static_cast<std::size_t>(Ho * Wo * n.cout), 0.0);
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow)
      for (int oc = 0; oc < n.cout; ++oc) {
        double acc = n.b[static_cast<std::size_t>(oc)];
        const int g = oc / ng;
        for (int i = 0; i < n.kh; ++i)
          for (int j = 0; j < n.kw; ++j)
            for (int c = 0; c < cg; ++c) {
              const int ih = oh * n.sh - n.pad[0] + i, iw = ow * n.sw - n.pad[2] + j;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              acc += x[static_cast<std::size_t>((ih * W + iw) * C + g * cg + c)] *
                     n.w[static_cast<std::size_t>(((i * n.kw + j) * cg + c) * n.cout + oc)];
            }
        y[static_cast<std::size_t>((oh * Wo + ow) * n.cout + oc)] = acc;
      }
  return y;
}

void ref_run(const std::vector<SynNode>& nodes, const DTensor& input, Reference& r) {
  r.t["input"] = input;
  r.shape["input"] = {9, 9, 3};
  for (const auto& n : nodes) {
    const DTensor& x = r.t[n.inputs[0]];
    const auto& s = r.shape[n.inputs[0]];
    DTensor y;
    if (n.op == "conv2d" || n.op == "depthwise_conv2d") {
      y = ref_conv(n, x, s);
    } else if (n.op == "dense") {
      y.assign(static_cast<std::size_t>(n.cout), 0.0);
      for (int o = 0; o < n.cout; ++o) {
        double acc = n.b[static_cast<std::size_t>(o)];
        for (std::size_t i = 0; i < x.size(); ++i) acc += x[i] * n.w[i * static_cast<std::size_t>(n.cout) + o];
        y[static_cast<std::size_t>(o)] = acc;
      }
    } else if (n.op == "relu" || n.op == "relu6") {
      y = x;
      for (auto& v : y) v = n.op == "relu" ? std::max(v, 0.0) : std::min(std::max(v, 0.0), 6.0);
    } else if (n.op == "max_pool" || n.op == "avg_pool") {
      const int H = static_cast<int>(s[0]), W = static_cast<int>(s[1]), C = static_cast<int>(s[2]);
      const int Ho = static_cast<int>(n.shape[0]), Wo = static_cast<int>(n.shape[1]);
      for (int oh = 0; oh < Ho; ++oh)
        for (int ow = 0; ow < Wo; ++ow)
          for (int c = 0; c < C; ++c) {
            std::vector<double> win;  // the window's elements inside the input
            for (int i = 0; i < n.kh; ++i)
              for (int j = 0; j < n.kw; ++j) {
                const int ih = oh * n.sh - n.pad[0] + i, iw = ow * n.sw - n.pad[2] + j;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                  win.push_back(x[static_cast<std::size_t>((ih * W + iw) * C + c)]);
              }
            double v = 0;
            if (n.op == "max_pool")
              v = *std::max_element(win.begin(), win.end());
            else {
              for (double e : win) v += e;
              v /= static_cast<double>(win.size());
            }
            y.push_back(v);
          }
    } else if (n.op == "global_avg_pool") {
      const std::size_t C = static_cast<std::size_t>(s[2]), P = x.size() / C;
      y.assign(C, 0.0);
      for (std::size_t p = 0; p < P; ++p)
        for (std::size_t c = 0; c < C; ++c) y[c] += x[p * C + c] / static_cast<double>(P);
    } else if (n.op == "concat") {
      const std::size_t P = static_cast<std::size_t>(s[0] * s[1]);
      for (std::size_t p = 0; p < P; ++p)
        for (const auto& in : n.inputs) {
          const std::size_t C = static_cast<std::size_t>(r.shape[in][2]);
          for (std::size_t c = 0; c < C; ++c) y.push_back(r.t[in][p * C + c]);
        }
    } else if (n.op == "add") {
      y = x;
      for (std::size_t i = 0; i < y.size(); ++i) y[i] += r.t[n.inputs[1]][i];
    } else if (n.op == "pad") {
      const int H = static_cast<int>(s[0]), W = static_cast<int>(s[1]), C = static_cast<int>(s[2]);
      const int Wo = static_cast<int>(n.shape[1]);
      y.assign(static_cast<std::size_t>(n.shape[0] * n.shape[1] * n.shape[2]), 0.0);
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w)
          for (int c = 0; c < C; ++c)
            y[static_cast<std::size_t>(((h + n.pad[0]) * Wo + w + n.pad[2]) * C + c)] =
                x[static_cast<std::size_t>((h * W + w) * C + c)];
    } else if (n.op == "identity" || n.op == "reshape") {
      y = x;
    } else if (n.op == "softmax") {
      double z = 0;
      for (double v : x) z += std::exp(v);
      for (double v : x) y.push_back(std::exp(v) / z);
    }
    r.t[n.name] = y;
    r.shape[n.name] = n.shape;
  }
}

std::string flow(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

struct Synthetic {
  std::vector<SynNode> nodes;
  std::vector<std::vector<std::uint8_t>> images;
  std::vector<DTensor> logits, probs;
};

Synthetic make_synthetic(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, 0.35);
  auto conv = [&](const std::string& name, const std::string& op, const std::string& in,
                  std::vector<std::int64_t> shape, int k0, int k1, int s, std::array<int, 4> pad, int groups, int cin,
                  int cout) {
    SynNode n;
    n.name = name, n.op = op, n.inputs = {in}, n.shape = std::move(shape);
    n.kh = k0, n.kw = k1, n.sh = n.sw = s, n.groups = groups, n.cout = cout;
    std::copy(pad.begin(), pad.end(), n.pad);
    n.w.resize(static_cast<std::size_t>(k0 * k1 * (cin / groups) * cout));
    for (auto& v : n.w) v = static_cast<float>(nd(rng));
    n.b.resize(static_cast<std::size_t>(cout));
    for (auto& v : n.b) v = static_cast<float>(nd(rng) * 0.3);
    return n;
  };
  auto op = [](const std::string& name, const std::string& o, std::vector<std::string> in,
               std::vector<std::int64_t> shape) {
    SynNode n;
    n.name = name, n.op = o, n.inputs = std::move(in), n.shape = std::move(shape);
    return n;
  };
  Synthetic s;
  auto& v = s.nodes;
  v.push_back(conv("c1", "conv2d", "input", {4, 4, 8}, 3, 3, 2, {0, 1, 0, 1}, 1, 3, 8));
  v.push_back(op("r1", "relu", {"c1"}, {4, 4, 8}));
  SynNode mp = op("mp", "max_pool", {"r1"}, {3, 3, 8});
  mp.kh = mp.kw = 2;
  v.push_back(mp);
  v.push_back(conv("c2", "conv2d", "mp", {3, 3, 6}, 1, 1, 1, {0, 0, 0, 0}, 1, 8, 6));
  v.push_back(op("r2", "relu6", {"c2"}, {3, 3, 6}));
  SynNode pd = op("p", "pad", {"r2"}, {5, 5, 6});
  pd.pad[0] = pd.pad[1] = pd.pad[2] = pd.pad[3] = 1;
  v.push_back(pd);
  v.push_back(conv("dw", "depthwise_conv2d", "p", {3, 3, 12}, 3, 3, 1, {0, 0, 0, 0}, 6, 6, 12));
  v.push_back(op("r3", "relu", {"dw"}, {3, 3, 12}));
  v.push_back(conv("c3", "conv2d", "r2", {3, 3, 12}, 3, 1, 1, {1, 1, 0, 0}, 1, 6, 12));
  v.push_back(op("a", "add", {"r3", "c3"}, {3, 3, 12}));
  v.push_back(conv("c4", "conv2d", "a", {3, 3, 10}, 1, 1, 1, {0, 0, 0, 0}, 1, 12, 10));
  v.back().is_signed = true;  // the sum with a linear conv output goes negative
  v.push_back(op("cat", "concat", {"c4", "r3"}, {3, 3, 22}));
  SynNode ap = op("ap", "avg_pool", {"cat"}, {3, 3, 22});
  ap.kh = ap.kw = 3;
  ap.pad[0] = ap.pad[1] = ap.pad[2] = ap.pad[3] = 1;
  v.push_back(ap);
  v.push_back(op("r4", "relu", {"ap"}, {3, 3, 22}));
  v.push_back(op("gap", "global_avg_pool", {"r4"}, {22}));
  v.push_back(op("drop", "identity", {"gap"}, {22}));
  v.push_back(op("flat", "reshape", {"drop"}, {22}));
  v.push_back(conv("fc", "dense", "flat", {5}, 1, 1, 1, {0, 0, 0, 0}, 1, 22, 5));
  v.push_back(op("sm", "softmax", {"fc"}, {5}));
  // Images and the reference outputs; calibration on image 0 (max / 255 or max|x| / 127).
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> px(9 * 9 * 3);
    for (auto& p : px) p = static_cast<std::uint8_t>(rng() % 256);
    s.images.push_back(px);
    DTensor x(px.size());
    for (std::size_t j = 0; j < px.size(); ++j) x[j] = px[j] * static_cast<double>(1.0f / 255.0f);
    Reference r;
    ref_run(v, x, r);
    s.logits.push_back(r.t["fc"]);
    s.probs.push_back(r.t["sm"]);
    if (i == 0)
      for (auto& n : v)
        if (n.op == "conv2d" || n.op == "depthwise_conv2d" || n.op == "dense") {
          const DTensor& in = r.t[n.inputs[0]];
          double mx = 0;
          for (double e : in) mx = std::max(mx, n.is_signed ? std::fabs(e) : e);
          n.scale = n.inputs[0] == "input" ? static_cast<double>(1.0f / 255.0f) : mx / (n.is_signed ? 127 : 255);
        }
  }
  return s;
}

// Writes the synthetic bundle; edit(yaml_of_node) may change one node's text.
void write_synthetic(const Synthetic& s, const std::string& dir,
                     const std::function<std::string(const std::string&, const std::string&)>& edit = {}) {
  fs::create_directories(dir);
  std::ostringstream y;
  y << "format: sparq-network-bundle\nformat_version: 1\nname: synthetic\nmodel: {name: Synthetic}\n"
       "input: {name: input, shape: [9, 9, 3], scale: 0.003921568859368563}\n"
       "outputs: {logits: fc, probabilities: sm}\n";
  const std::int64_t N = static_cast<std::int64_t>(s.images.size());
  std::vector<std::uint8_t> px;
  std::vector<float> lg, pr;
  for (std::size_t i = 0; i < s.images.size(); ++i) {
    px.insert(px.end(), s.images[i].begin(), s.images[i].end());
    for (double v : s.logits[i]) lg.push_back(static_cast<float>(v));
    for (double v : s.probs[i]) pr.push_back(static_cast<float>(v));
  }
  write_npy(dir + "/images.npy", make_npy(DType::U1, {N, 9, 9, 3}, px));
  write_npy(dir + "/logits.npy", make_npy(DType::F4, {N, 5}, lg));
  write_npy(dir + "/probs.npy", make_npy(DType::F4, {N, 5}, pr));
  y << "images: {count: " << N << ", pixels: images.npy, float_logits: logits.npy, float_probabilities: probs.npy}\n";
  y << "nodes:\n";
  for (const auto& n : s.nodes) {
    std::ostringstream t;
    t << "  - name: " << n.name << "\n    op: " << n.op << "\n    inputs: [";
    for (std::size_t i = 0; i < n.inputs.size(); ++i) t << (i ? ", " : "") << n.inputs[i];
    t << "]\n    output_shape: " << flow(n.shape) << "\n";
    const std::vector<std::int64_t> pad{n.pad[0], n.pad[1], n.pad[2], n.pad[3]};
    if (n.op == "conv2d" || n.op == "depthwise_conv2d" || n.op == "dense") {
      const int cin = static_cast<int>(n.w.size()) / (n.kh * n.kw * n.cout);
      std::vector<float> wf(n.w.begin(), n.w.end()), bf(n.b.begin(), n.b.end()), sc(static_cast<std::size_t>(n.cout));
      std::vector<std::int8_t> q(n.w.size());
      for (int oc = 0; oc < n.cout; ++oc) {
        double mx = 0;
        for (std::size_t i = static_cast<std::size_t>(oc); i < n.w.size(); i += static_cast<std::size_t>(n.cout))
          mx = std::max(mx, std::fabs(static_cast<double>(wf[i])));
        sc[static_cast<std::size_t>(oc)] = static_cast<float>(mx / 127);
        for (std::size_t i = static_cast<std::size_t>(oc); i < n.w.size(); i += static_cast<std::size_t>(n.cout))
          q[i] = static_cast<std::int8_t>(std::nearbyint(wf[i] / sc[static_cast<std::size_t>(oc)]));
      }
      const std::vector<std::int64_t> ws{n.kh, n.kw, cin, n.cout};
      write_npy(dir + "/" + n.name + ".w.npy", make_npy(DType::I1, ws, q));
      write_npy(dir + "/" + n.name + ".s.npy", make_npy(DType::F4, {n.cout}, sc));
      write_npy(dir + "/" + n.name + ".b.npy", make_npy(DType::F4, {n.cout}, bf));
      write_npy(dir + "/" + n.name + ".f.npy", make_npy(DType::F4, ws, wf));
      t << "    kernel: [" << n.kh << ", " << n.kw << "]\n    stride: [" << n.sh << ", " << n.sw
        << "]\n    dilation: [1, 1]\n    padding: " << flow(pad) << "\n    groups: " << n.groups
        << "\n    activation_signed: " << (n.is_signed ? "true" : "false")
        << "\n    activation_scale: " << std::setprecision(9) << n.scale << "\n    files: {weights: " << n.name
        << ".w.npy, weight_scales: " << n.name << ".s.npy, bias: " << n.name << ".b.npy, float_weights: " << n.name
        << ".f.npy}\n";
    } else if (n.op == "max_pool" || n.op == "avg_pool") {
      t << "    pool: [" << n.kh << ", " << n.kw << "]\n    stride: [" << n.sh << ", " << n.sw
        << "]\n    padding: " << flow(pad) << "\n";
    } else if (n.op == "pad") {
      t << "    padding: " << flow(pad) << "\n";
    }
    y << (edit ? edit(n.name, t.str()) : t.str());
  }
  std::ofstream(dir + "/network.yaml") << y.str();
}

double max_rel_logit_diff(const Network& net, const NetResult& r, int image) {
  double mx = 0, d = 0;
  for (int c = 0; c < net.classes; ++c) {
    const double ref = net.float_logits[static_cast<std::size_t>(image * net.classes + c)];
    mx = std::max(mx, std::fabs(ref));
    d = std::max(d, std::fabs(r.logits[static_cast<std::size_t>(c)] - ref));
  }
  return d / std::max(mx, 1e-12);
}

std::vector<PeArith> paper_designs() {
  std::vector<PeArith> d = {PeArith::int8(), PeArith::int4()};
  for (const char* s : {"5opt", "3opt", "2opt"}) d.push_back(PeArith::bsparq(preset(s)));
  for (const char* s : {"5opt", "3opt", "2opt"}) d.push_back(PeArith::vsparq(4, preset(s)));
  d.push_back(PeArith::vsparq(3));
  d.push_back(PeArith::vsparq(2));
  return d;
}

// A design's plan: signed-input nodes and the first conv at int8, as infer does.
NetPlan plan_for(const Network& net, const PeArith& pe, NetEngine engine) {
  NetPlan p;
  p.engine = engine;
  p.array.rows = 4;
  p.array.cols = 5;
  p.pe.assign(net.nodes.size(), pe);
  for (std::size_t i = 0; i < net.nodes.size(); ++i)
    if (is_weighted(net.nodes[i].op) && (net.nodes[i].activation_signed || net.nodes[i].inputs[0] < 0))
      p.pe[i] = PeArith::int8();
  return p;
}

std::string exe() {
  return SPARQ_SIM_EXE;
}

}  // namespace

TEST(NetworkSynthetic, FloatEngineMatchesIndependentReference) {
  ScratchDir d;
  const Synthetic s = make_synthetic(7);
  write_synthetic(s, d / "net");
  const Network net = read_network(d / "net");
  ASSERT_EQ(net.images, 3);
  ASSERT_EQ(net.conv_count(), 6);
  for (int i = 0; i < net.images; ++i) {
    const NetResult r = run_network(net, i, NetPlan{});
    EXPECT_LT(max_rel_logit_diff(net, r, i), 1e-5) << "image " << i;
    for (int c = 0; c < 5; ++c)
      EXPECT_NEAR(r.probabilities[static_cast<std::size_t>(c)],
                  s.probs[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)], 1e-6);
  }
}

TEST(NetworkSynthetic, InputNormalizationPerChannel) {
  // input.mean/std: the network input is (pixel / 255 - mean[c]) / std[c],
  // channels last; malformed values are refused naming the key.
  ScratchDir d;
  const Synthetic s = make_synthetic(5);
  const std::string plain = "input: {name: input, shape: [9, 9, 3], scale: 0.003921568859368563}";
  auto with_input = [&](const std::string& dir, const std::string& input_line) {
    write_synthetic(s, dir);
    std::ostringstream text;
    text << std::ifstream(dir + "/network.yaml").rdbuf();
    std::string y = text.str();
    y.replace(y.find(plain), plain.size(), input_line);
    std::ofstream(dir + "/network.yaml") << y;
  };
  with_input(d / "norm",
             "input: {name: input, shape: [9, 9, 3], scale: 0.003921568859368563, mean: [0.485, 0.456, 0.406], "
             "std: [0.229, 0.224, 0.225]}");
  const Network net = read_network(d / "norm");
  const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
  for (int img = 0; img < net.images; ++img) {
    const std::vector<float> x = network_input(net, img);
    ASSERT_EQ(x.size(), 9u * 9 * 3);
    bool negative = false;
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double want = (s.images[static_cast<std::size_t>(img)][j] / 255.0 - mean[j % 3]) / stdv[j % 3];
      EXPECT_NEAR(x[j], want, 1e-5) << "image " << img << " element " << j;
      negative = negative || x[j] < 0;
    }
    EXPECT_TRUE(negative);
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"mean: [0.5, 0.5], std: [0.2, 0.2, 0.2]", "'input.mean' must be a list of 3 numbers"},
      {"mean: [0.5, 0.5, 0.5], std: [0.2, 0.0, 0.2]", "'input.std' must hold finite numbers, all positive"},
      {"mean: [0.5, 0.5, 0.5]", "'std' is missing"},
      {"means: [0.5, 0.5, 0.5]", "'input.means' is not known"},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const std::string dir = d / ("bad" + std::to_string(i));
    with_input(dir, "input: {name: input, shape: [9, 9, 3], scale: 0.003921568859368563, " + bad[i].first + "}");
    try {
      read_network(dir);
      ADD_FAILURE() << bad[i].first << ": accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(bad[i].second), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dir + "/network.yaml"), std::string::npos) << e.what();
    }
  }
}

TEST(NetworkSynthetic, WrongPoolingIsCaught) {
  // The same network with its average pool counting the padding, or with a
  // max pool of stride 2: the reference outputs no longer match.
  ScratchDir d;
  const Synthetic s = make_synthetic(7);
  write_synthetic(s, d / "net");
  Network net = read_network(d / "net");
  const int ap = net.node_index("ap");
  ASSERT_GE(ap, 0);
  net.nodes[static_cast<std::size_t>(ap)].op = NetOp::MaxPool;  // a wrong op, same shape
  double worst = 0;
  for (int i = 0; i < net.images; ++i)
    worst = std::max(worst, max_rel_logit_diff(net, run_network(net, i, NetPlan{}), i));
  EXPECT_GT(worst, 1e-3);
  // A pooling stride that changes the shape is refused on load, naming the node.
  write_synthetic(s, d / "bad", [](const std::string& name, const std::string& text) {
    if (name != "mp") return text;
    std::string t = text;
    t.replace(t.find("stride: [1, 1]"), 14, "stride: [2, 2]");
    return t;
  });
  try {
    read_network(d / "bad");
    FAIL() << "a wrong pooling stride was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'mp'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("shape mismatch"), std::string::npos) << e.what();
  }
}

TEST(NetworkSynthetic, ArrayModelsEqualFunctionalCoreForEveryDesign) {
  ScratchDir d;
  write_synthetic(make_synthetic(11), d / "net");
  const Network net = read_network(d / "net");
  NetRunOptions keep;
  keep.keep_acc = true;
  for (const PeArith& pe : paper_designs()) {
    for (int image = 0; image < net.images; ++image) {
      const NetResult f = run_network(net, image, plan_for(net, pe, NetEngine::Functional), keep);
      for (hw::Fidelity fid : {hw::Fidelity::Fast, hw::Fidelity::Stepped, hw::Fidelity::Structural}) {
        if (fid == hw::Fidelity::Structural && image > 0) continue;  // slow; one image suffices
        for (Dataflow df : {Dataflow::WS, Dataflow::OS}) {
          NetPlan p = plan_for(net, pe, NetEngine::Array);
          p.array.fidelity = fid;
          p.array.dataflow = df;
          hw::StructuralSession session;
          NetRunOptions o = keep;
          o.session = &session;
          const NetResult a = run_network(net, image, p, o);
          for (std::size_t i = 0; i < net.nodes.size(); ++i)
            ASSERT_EQ(a.layer_acc[i], f.layer_acc[i]) << pe.label() << " node " << net.nodes[i].name << " fidelity "
                                                      << hw::to_string(fid) << " " << to_string(df);
          ASSERT_EQ(a.logits, f.logits) << pe.label();
          ASSERT_GT(a.stats[static_cast<std::size_t>(net.node_index("c2"))].cycles, 0u);
        }
      }
    }
  }
}

TEST(NetworkSynthetic, BadBundlesNameTheNodeAndExit2) {
  ScratchDir d;
  const Synthetic s = make_synthetic(3);
  struct Case {
    std::string what, node;
    std::function<std::string(const std::string&, const std::string&)> edit;
    std::string expect;
  };
  auto replace = [](std::string t, const std::string& a, const std::string& b) {
    const auto p = t.find(a);
    if (p != std::string::npos) t.replace(p, a.size(), b);
    return t;
  };
  const std::vector<Case> cases = {
      {"unsupported op", "r2",
       [&](const std::string& n, const std::string& t) { return n == "r2" ? replace(t, "op: relu6", "op: gelu") : t; },
       "op 'gelu' is not supported"},
      {"dangling tensor", "a",
       [&](const std::string& n, const std::string& t) {
         return n == "a" ? replace(t, "inputs: [r3, c3]", "inputs: [r3, c9]") : t;
       },
       "dangling tensor"},
      {"shape mismatch", "cat",
       [&](const std::string& n, const std::string& t) {
         return n == "cat" ? replace(t, "[3, 3, 22]", "[3, 3, 21]") : t;
       },
       "shape mismatch"},
      {"add of different shapes", "a",
       [&](const std::string& n, const std::string& t) {
         return n == "a" ? replace(t, "inputs: [r3, c3]", "inputs: [r3, c2]") : t;
       },
       "shape mismatch"},
      {"missing weight", "c3",
       [&](const std::string& n, const std::string& t) {
         return n == "c3" ? replace(t, "weights: c3.w.npy, ", "") : t;
       },
       "'weights' is missing"},
      {"missing weight file", "dw",
       [&](const std::string& n, const std::string& t) {
         return n == "dw" ? replace(t, "dw.w.npy", "nowhere.npy") : t;
       },
       "not found"},
  };
  for (const auto& c : cases) {
    const std::string dir = d / ("net_" + c.node + "_" + std::to_string(&c - cases.data()));
    write_synthetic(s, dir, c.edit);
    const std::string cfg = d.write("cfg.yaml", "network: {bundle: " + dir + "}\noutput: {dir: " + (d / "out") + "}\n");
    const auto r = testing_util::run_cli(d.path.string(), exe(), "infer " + cfg);
    EXPECT_EQ(r.code, 2) << c.what << "\n" << r.err;
    EXPECT_NE(r.err.find("node '" + c.node + "'"), std::string::npos) << c.what << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.what << ": " << r.err;
    EXPECT_NE(r.err.find(dir + "/network.yaml"), std::string::npos) << c.what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.what << ": one line expected\n" << r.err;
  }
}

TEST(NetworkSynthetic, InferWritesOneCompleteResultSet) {
  ScratchDir d;
  write_synthetic(make_synthetic(5), d / "net");
  const std::string cfg =
      d.write("cfg.yaml", "array: {rows: 4, cols: 4}\nnetwork: {bundle: " + (d / "net") + ", jobs: 2}\noutput: {dir: " +
                              (d / "out") + "}\ncompare:\n  - {design: int8}\n  - {design: vsparq, shift_set: 5opt}\n");
  const auto r = testing_util::run_cli(d.path.string(), exe(), "infer " + cfg);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("vsparq-5opt"), std::string::npos) << r.out;
  for (const char* f : {"effective_config.yaml", "results.json", "summary.csv", "layers.csv", "images.csv",
                        "error_growth.svg", "report.html", "result_manifest.txt"})
    EXPECT_TRUE(fs::exists(d / ("out/" + std::string(f)))) << f;
  // The report: the summary's cells, the error-growth plot inline.
  const std::string html = testing_util::read_text(d / "out/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("vsparq-5opt"), std::string::npos);
  EXPECT_NE(html.find("<th>top1_vs_float [%]</th>"), std::string::npos);
  // The effective config repeats the run.
  const auto again = testing_util::run_cli(d.path.string(), exe(),
                                           "infer -q " + (d / "out/effective_config.yaml") + " --out " + (d / "out2"));
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(testing_util::read_text(d / "out/summary.csv"), testing_util::read_text(d / "out2/summary.csv"));
  // Every image on the structural array model: the same bits, hence the same
  // summary (accuracy, and the timed image's cycles and energy).
  const auto arr = testing_util::run_cli(
      d.path.string(), exe(),
      "infer -q " + cfg + " --engine array --set simulation.fidelity=structural --out " + (d / "out_array"));
  ASSERT_EQ(arr.code, 0) << arr.err;
  EXPECT_EQ(testing_util::read_text(d / "out/summary.csv"), testing_util::read_text(d / "out_array/summary.csv"));
  EXPECT_EQ(testing_util::read_text(d / "out/images.csv"), testing_util::read_text(d / "out_array/images.csv"));
  // Propagated inputs as layer bundles: readable, and each layer's float output
  // is what its dequantized int8 accumulators approximate.
  const auto dump = testing_util::run_cli(
      d.path.string(), exe(), "infer -q " + cfg + " --out " + (d / "out3") + " --dump-inputs " + (d / "dump"));
  ASSERT_EQ(dump.code, 0) << dump.err;
  const BundleManifest m = read_manifest(d / "dump/vsparq-5opt");
  ASSERT_EQ(m.layers.size(), 6u);
  for (const LayerInfo& L : m.layers) {
    const LayerTrace t = load_layer(m, L);
    const LayerResult lr =
        reference_layer(L.geo, t.input.data(), t.weights.data(), PeArith::int8(), 32, L.activation_signed);
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < lr.acc.size(); ++i) {
      const std::size_t oc = i % static_cast<std::size_t>(L.geo.C_out);
      const double v = static_cast<double>(lr.acc[i]) * L.activation_scale * t.weight_scales[oc] + t.bias[oc];
      err += (v - t.float_output[i]) * (v - t.float_output[i]);
      ref += static_cast<double>(t.float_output[i]) * t.float_output[i];
    }
    EXPECT_GT(10 * std::log10(ref / err), 25.0) << L.name;
  }
  const auto stats = testing_util::run_cli(d.path.string(), exe(), "stats " + (d / "dump/int8"));
  EXPECT_EQ(stats.code, 0) << stats.err;
  // An override naming no conv node is refused.
  const auto bad = testing_util::run_cli(d.path.string(), exe(), "infer " + cfg + " --set network.overrides.r1=int8");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("network.overrides.r1"), std::string::npos) << bad.err;
}

// ------------------------------------------------------------ real networks
namespace {

// The bundle of a real network, or "" (the test is skipped; a failure when
// SPARQ_REQUIRE_NET_BUNDLES=1, as in CI).
std::string real_bundle(const std::string& model) {
  const char* dir = std::getenv("SPARQ_NET_DIR");
  const fs::path p = dir ? fs::path(dir) / model : fs::path(SPARQ_SOURCE_DIR) / "traces/net" / model;
  if (fs::exists(p / "network.yaml")) return p.string();
  const char* req = std::getenv("SPARQ_REQUIRE_NET_BUNDLES");
  if (req && std::string(req) == "1") ADD_FAILURE() << p << " missing: run tools/export/network_bundles.sh " << model;
  return "";
}

constexpr double kFloatTolerance = 1e-4;  // max |logit - tfjs| / max |tfjs logit|

double float_check(const Network& net, int images) {
  double worst = 0;
  for (int i = 0; i < images; ++i) worst = std::max(worst, max_rel_logit_diff(net, run_network(net, i, NetPlan{}), i));
  return worst;
}

}  // namespace

TEST(NetworkReal, MobileNetV2FloatGraphReproducesTfjs) {
  const std::string b = real_bundle("mobilenetv2");
  if (b.empty()) GTEST_SKIP() << "no MobileNetV2 network bundle (tools/export/network_bundles.sh)";
  const Network net = read_network(b);
  ASSERT_GE(net.images, 50);
  const double worst = float_check(net, net.images);
  std::cout << "[mobilenetv2] float graph vs tfjs over " << net.images << " images: max relative logit difference "
            << worst << "\n";
  EXPECT_LT(worst, kFloatTolerance);
}

TEST(NetworkReal, MobileNetV2WrongOpOrChannelOrderIsCaught) {
  const std::string b = real_bundle("mobilenetv2");
  if (b.empty()) GTEST_SKIP() << "no MobileNetV2 network bundle";
  const Network good = read_network(b, true, 8);
  ASSERT_LT(float_check(good, good.images), kFloatTolerance);
  Network bgr = good;  // channel order: the photos fed as BGR
  for (std::size_t i = 0; i + 2 < bgr.pixels.size(); i += 3) std::swap(bgr.pixels[i], bgr.pixels[i + 2]);
  EXPECT_GT(float_check(bgr, bgr.images), 100 * kFloatTolerance);
  Network relu = good;  // a wrong op: ReLU where the network has ReLU6
  int changed = 0;
  for (auto& n : relu.nodes)
    if (n.op == NetOp::Relu6) n.op = NetOp::Relu, ++changed;
  ASSERT_GT(changed, 10);
  EXPECT_GT(float_check(relu, relu.images), 100 * kFloatTolerance);
  Network pool = good;  // a wrong pooling: the head's 7x7 average pool as a max pool
  for (auto& n : pool.nodes)
    if (n.op == NetOp::AvgPool) n.op = NetOp::MaxPool;
  EXPECT_GT(float_check(pool, pool.images), 100 * kFloatTolerance);
}

TEST(NetworkReal, MobileNetV2Int8AgreesWithFloatOnTop1) {
  const std::string b = real_bundle("mobilenetv2");
  if (b.empty()) GTEST_SKIP() << "no MobileNetV2 network bundle";
  const Network net = read_network(b);
  NetPlan p;
  p.engine = NetEngine::Functional;
  p.pe.assign(net.nodes.size(), PeArith::int8());
  int agree = 0;
  for (int i = 0; i < net.images; ++i) {
    const NetResult r = run_network(net, i, p);
    const float* f = net.float_logits.data() + static_cast<std::size_t>(i) * net.classes;
    agree += std::max_element(r.logits.begin(), r.logits.end()) - r.logits.begin() ==
             std::max_element(f, f + net.classes) - f;
  }
  std::cout << "[mobilenetv2] int8 top-1 = float on " << agree << " of " << net.images << " images\n";
  ::testing::Test::RecordProperty("int8_top1_agreement", agree);
  EXPECT_GE(agree, net.images * 9 / 10);
}

TEST(NetworkReal, MobileNetV2ArrayModelEqualsFunctionalCore) {
  const std::string b = real_bundle("mobilenetv2");
  if (b.empty()) GTEST_SKIP() << "no MobileNetV2 network bundle";
  const Network net = read_network(b, true, 1);
  NetRunOptions keep;
  keep.keep_acc = true;
  for (const PeArith& pe : paper_designs()) {
    NetPlan fp = plan_for(net, pe, NetEngine::Functional);
    NetPlan ap = plan_for(net, pe, NetEngine::Array);
    ap.array.rows = ap.array.cols = 16;
    const NetResult f = run_network(net, 0, fp, keep);
    const NetResult a = run_network(net, 0, ap, keep);
    for (std::size_t i = 0; i < net.nodes.size(); ++i)
      ASSERT_EQ(a.layer_acc[i], f.layer_acc[i]) << pe.label() << " node " << net.nodes[i].name;
    EXPECT_EQ(a.logits, f.logits) << pe.label();
  }
}

TEST(NetworkReal, InceptionV3FloatGraphReproducesTfjs) {
  const std::string b = real_bundle("inceptionv3");
  if (b.empty()) GTEST_SKIP() << "no InceptionV3 network bundle (tools/export/network_bundles.sh inceptionv3)";
  const Network net = read_network(b, true, 2);
  const double worst = float_check(net, net.images);
  std::cout << "[inceptionv3] float graph vs tfjs over " << net.images << " images: max relative logit difference "
            << worst << "\n";
  EXPECT_LT(worst, kFloatTolerance);
  Network pool = net;  // a wrong pooling stride / window: the 3x3 'same' average pools as 1x1
  int changed = 0;
  for (auto& n : pool.nodes)
    if (n.op == NetOp::AvgPool && n.pool[0] == 3)
      n.pool[0] = n.pool[1] = 1, n.padding[0] = n.padding[1] = n.padding[2] = n.padding[3] = 0, ++changed;
  ASSERT_GT(changed, 0);
  EXPECT_GT(float_check(pool, 1), 100 * kFloatTolerance);
}
