#include "network_exec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include "errors.h"
#include "fast_gemm.h"

namespace sparq {

namespace {

using Tensor = std::vector<float>;

// Float convolution of the folded float graph: out[m][oc] = bias[oc] +
// sum_k patch_m[k] * W[k][oc] in float32, k = (kh*KW + kw)*Cg + c.
Tensor float_depthwise(const NetNode& n, const Tensor& x) {
  const ConvGeometry& g = n.geo;
  const int Ho = g.H_out(), Wo = g.W_out(), C = g.C_in, m = g.cout_per_group();
  Tensor out(static_cast<std::size_t>(Ho) * Wo * g.C_out);
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow) {
      float* o = out.data() + (static_cast<std::size_t>(oh) * Wo + ow) * g.C_out;
      std::fill(o, o + g.C_out, 0.0f);
      for (int kh = 0; kh < g.KH; ++kh) {
        const int ih = oh * g.SH - g.pad_top + kh * g.DH;
        if (ih < 0 || ih >= g.H) continue;
        for (int kw = 0; kw < g.KW; ++kw) {
          const int iw = ow * g.SW - g.pad_left + kw * g.DW;
          if (iw < 0 || iw >= g.W) continue;
          const float* a = x.data() + (static_cast<std::size_t>(ih) * g.W + iw) * C;
          const float* w = n.float_weights.data() + static_cast<std::size_t>(kh * g.KW + kw) * g.C_out;
          for (int c = 0; c < C; ++c)
            for (int j = 0; j < m; ++j) o[c * m + j] += a[c] * w[c * m + j];
        }
      }
      for (int oc = 0; oc < g.C_out; ++oc) o[oc] += n.bias[static_cast<std::size_t>(oc)];
    }
  return out;
}

Tensor float_conv(const NetNode& n, const Tensor& x) {
  const ConvGeometry& g = n.geo;
  if (g.groups > 1 && g.cin_per_group() == 1) return float_depthwise(n, x);
  const int Ho = g.H_out(), Wo = g.W_out(), Cg = g.cin_per_group(), Ng = g.cout_per_group(), K = g.K();
  Tensor out(static_cast<std::size_t>(Ho) * Wo * g.C_out);
  std::vector<float> patch(static_cast<std::size_t>(K));
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow) {
      float* o = out.data() + (static_cast<std::size_t>(oh) * Wo + ow) * g.C_out;
      for (int oc = 0; oc < g.C_out; ++oc) o[oc] = 0.0f;
      for (int grp = 0; grp < g.groups; ++grp) {
        int k = 0;
        for (int kh = 0; kh < g.KH; ++kh) {
          const int ih = oh * g.SH - g.pad_top + kh * g.DH;
          for (int kw = 0; kw < g.KW; ++kw, k += Cg) {
            const int iw = ow * g.SW - g.pad_left + kw * g.DW;
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) {
              std::fill(patch.begin() + k, patch.begin() + k + Cg, 0.0f);
              continue;
            }
            const float* src =
                x.data() + (static_cast<std::size_t>(ih) * g.W + iw) * g.C_in + static_cast<std::size_t>(grp) * Cg;
            std::copy(src, src + Cg, patch.begin() + k);
          }
        }
        float* og = o + static_cast<std::size_t>(grp) * Ng;
        for (int kk = 0; kk < K; ++kk) {
          const float a = patch[static_cast<std::size_t>(kk)];
          if (a == 0.0f) continue;
          const float* w =
              n.float_weights.data() + static_cast<std::size_t>(kk) * g.C_out + static_cast<std::size_t>(grp) * Ng;
          for (int j = 0; j < Ng; ++j) og[j] += a * w[j];
        }
      }
      for (int oc = 0; oc < g.C_out; ++oc) o[oc] += n.bias[static_cast<std::size_t>(oc)];
    }
  return out;
}

// Scatters one group's GEMM result [M, N] into [M, C_out] at channels g*N...
void scatter(const std::vector<std::int64_t>& C, int M, int N, int grp, int C_out, std::vector<std::int64_t>& acc) {
  for (int m = 0; m < M; ++m)
    for (int j = 0; j < N; ++j)
      acc[static_cast<std::size_t>(m) * C_out + static_cast<std::size_t>(grp) * N + j] =
          C[static_cast<std::size_t>(m) * N + j];
}

Tensor dequantize_acc(const NetNode& n, const std::vector<std::int64_t>& acc) {
  Tensor out(acc.size());
  const std::size_t C = static_cast<std::size_t>(n.geo.C_out);
  std::vector<double> scale(C);  // acc * (scale_a * scale_w[oc]) in double, + bias in float32
  for (std::size_t oc = 0; oc < C; ++oc) scale[oc] = static_cast<double>(n.activation_scale) * n.weight_scales[oc];
  for (std::size_t p = 0; p < acc.size(); p += C)
    for (std::size_t oc = 0; oc < C; ++oc)
      out[p + oc] = static_cast<float>(static_cast<double>(acc[p + oc]) * scale[oc]) + n.bias[oc];
  return out;
}

Tensor pool(const NetNode& n, const Tensor& x, const std::vector<std::int64_t>& in) {
  const int H = static_cast<int>(in[0]), W = static_cast<int>(in[1]), C = static_cast<int>(in[2]);
  const int Ho = static_cast<int>(n.shape[0]), Wo = static_cast<int>(n.shape[1]);
  const bool is_max = n.op == NetOp::MaxPool;
  Tensor out(static_cast<std::size_t>(Ho) * Wo * C);
  for (int oh = 0; oh < Ho; ++oh)
    for (int ow = 0; ow < Wo; ++ow)
      for (int c = 0; c < C; ++c) {
        float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
        int count = 0;  // padding is not counted (TensorFlow's 'same' pooling)
        for (int kh = 0; kh < n.pool[0]; ++kh) {
          const int ih = oh * n.stride[0] - n.padding[0] + kh;
          if (ih < 0 || ih >= H) continue;
          for (int kw = 0; kw < n.pool[1]; ++kw) {
            const int iw = ow * n.stride[1] - n.padding[2] + kw;
            if (iw < 0 || iw >= W) continue;
            const float v = x[(static_cast<std::size_t>(ih) * W + iw) * C + c];
            acc = is_max ? std::max(acc, v) : acc + v;
            ++count;
          }
        }
        out[(static_cast<std::size_t>(oh) * Wo + ow) * C + c] = is_max ? acc : acc / static_cast<float>(count);
      }
  return out;
}

}  // namespace

std::vector<std::uint8_t> quantize_activations(const std::vector<float>& x, float scale, bool is_signed) {
  std::vector<std::uint8_t> q(x.size());
  const float lo = is_signed ? -127.0f : 0.0f, hi = is_signed ? 127.0f : 255.0f;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float v = std::clamp(std::nearbyint(x[i] / scale), lo, hi);  // FE_TONEAREST: half to even
    q[i] = is_signed ? static_cast<std::uint8_t>(static_cast<std::int8_t>(v)) : static_cast<std::uint8_t>(v);
  }
  return q;
}

std::vector<float> network_input(const Network& net, int image) {
  const std::size_t per = static_cast<std::size_t>(net.input_shape[0] * net.input_shape[1] * net.input_shape[2]);
  std::vector<float> x(per);
  const std::uint8_t* p = net.pixels.data() + per * static_cast<std::size_t>(image);
  for (std::size_t i = 0; i < per; ++i) x[i] = static_cast<float>(p[i]) * net.input_scale;
  if (!net.input_mean.empty())  // channels last: element i is channel i % 3
    for (std::size_t i = 0; i < per; ++i) x[i] = (x[i] - net.input_mean[i % 3]) / net.input_std[i % 3];
  return x;
}

void check_cycles_image(const NetworkOptions& nopt, const Network& net, const std::string& config_file) {
  if (nopt.cycles_image >= net.images)
    throw InputError(config_file + ": network.cycles_image " + std::to_string(nopt.cycles_image) +
                     " is not among the " + std::to_string(net.images) + " images");
}

std::vector<hw::ArrayStats> image_array_stats(const Network& net, int image, const NetPlan& plan,
                                              std::vector<hw::ArrayStats> timed) {
  if (plan.engine == NetEngine::Array) return timed;
  NetPlan p = plan;  // the functional engine: time the image on the fast array model
  p.engine = NetEngine::Array;
  p.array.fidelity = hw::Fidelity::Fast;
  return run_network(net, image, p).stats;
}

NetPlan network_plan(const Network& net, const DesignPoint& d, const NetworkOptions& nopt,
                     const std::string& config_file, int* int8_layers) {
  std::map<std::string, std::string> overrides;
  for (const auto& [node, v] : nopt.overrides) {
    const int idx = net.node_index(node);
    if (idx < 0 || !is_weighted(net.nodes[static_cast<std::size_t>(idx)].op))
      throw InputError(config_file + ": network.overrides." + node + ": " + net.manifest_path +
                       " has no conv or dense node of that name");
    overrides[node] = v;
  }
  NetPlan p;
  p.engine = nopt.engine == "array" ? NetEngine::Array : NetEngine::Functional;
  p.array = d.array;
  p.acc_bits = d.array.acc_bits;
  p.pe.assign(net.nodes.size(), d.array.pe);
  int n8 = 0;
  for (std::size_t i = 0; i < net.nodes.size(); ++i) {
    const NetNode& n = net.nodes[i];
    if (!is_weighted(n.op)) continue;
    bool i8 = n.activation_signed || (n.inputs[0] < 0 && nopt.first_layer == "int8");
    if (auto it = overrides.find(n.name); it != overrides.end()) i8 = it->second == "int8" || n.activation_signed;
    if (i8) p.pe[i] = PeArith::int8();
    n8 += i8 || d.array.pe.design == PeArith::int8().design;
  }
  if (int8_layers) *int8_layers = n8;
  return p;
}

NetResult run_network(const Network& net, int image, const NetPlan& plan, const NetRunOptions& opt) {
  if (image < 0 || image >= net.images) throw std::invalid_argument("image index out of range");
  const std::size_t N = net.nodes.size();
  if (plan.engine != NetEngine::Float && plan.pe.size() != N)
    throw std::invalid_argument("NetPlan: one PE per node expected");
  // Last use of every tensor, so that dead ones are freed.
  std::vector<std::size_t> last_use(N, 0);
  for (std::size_t i = 0; i < N; ++i)
    for (int in : net.nodes[i].inputs)
      if (in >= 0) last_use[static_cast<std::size_t>(in)] = i;
  last_use[static_cast<std::size_t>(net.logits)] = N;
  last_use[static_cast<std::size_t>(net.probabilities)] = N;

  const Tensor input = network_input(net, image);
  std::vector<Tensor> t(N);
  NetResult r;
  if (opt.keep_layers) r.layer_outputs.resize(N);
  if (opt.keep_acc) r.layer_acc.resize(N);
  if (plan.engine == NetEngine::Array) r.stats.resize(N);
  if (!opt.capture.empty()) {
    r.captured_input.resize(N);
    r.captured_float_output.resize(N);
  }
  for (std::size_t i = 0; i < N; ++i) {
    const NetNode& n = net.nodes[i];
    auto in = [&](std::size_t j) -> const Tensor& {
      const int s = n.inputs[j];
      return s < 0 ? input : t[static_cast<std::size_t>(s)];
    };
    auto in_shape = [&](std::size_t j) -> const std::vector<std::int64_t>& {
      const int s = n.inputs[j];
      return s < 0 ? net.input_shape : net.nodes[static_cast<std::size_t>(s)].shape;
    };
    Tensor y;
    switch (n.op) {
      case NetOp::Conv2D:
      case NetOp::DepthwiseConv2D:
      case NetOp::Dense: {
        if (plan.engine == NetEngine::Float) {
          y = float_conv(n, in(0));
          break;
        }
        const PeArith& pe = plan.pe[i];
        const std::vector<std::uint8_t> q = quantize_activations(in(0), n.activation_scale, n.activation_signed);
        if (i < opt.capture.size() && opt.capture[i]) {
          r.captured_input[i] = q;
          r.captured_float_output[i] = float_conv(n, in(0));
        }
        std::vector<std::int64_t> acc;
        if (plan.engine == NetEngine::Functional) {
          acc = functional_conv(n.geo, q.data(), n.weights.data(), pe, plan.acc_bits, n.activation_signed);
        } else {
          hw::ArrayConfig cfg = plan.array;
          cfg.pe = pe;
          cfg.acc_bits = plan.acc_bits;
          acc.assign(static_cast<std::size_t>(n.geo.H_out()) * n.geo.W_out() * n.geo.C_out, 0);
          for (int grp = 0; grp < n.geo.groups; ++grp) {
            const Gemm g = lower_conv(n.geo, q.data(), n.weights.data(), grp, n.activation_signed);
            const hw::GemmRun run = hw::simulate_gemm(g, cfg, nullptr, nullptr, opt.session);
            r.stats[i].merge(run.stats);
            scatter(run.C, g.M, g.N, grp, n.geo.C_out, acc);
          }
        }
        y = dequantize_acc(n, acc);
        if (opt.keep_acc) r.layer_acc[i] = std::move(acc);
        break;
      }
      case NetOp::Relu:
        y = in(0);
        for (float& v : y) v = std::max(v, 0.0f);
        break;
      case NetOp::Relu6:
        y = in(0);
        for (float& v : y) v = std::min(std::max(v, 0.0f), 6.0f);
        break;
      case NetOp::MaxPool:
      case NetOp::AvgPool: y = pool(n, in(0), in_shape(0)); break;
      case NetOp::GlobalAvgPool: {
        const auto& s = in_shape(0);
        const std::size_t HW = static_cast<std::size_t>(s[0] * s[1]), C = static_cast<std::size_t>(s[2]);
        y.assign(C, 0.0f);
        for (std::size_t p = 0; p < HW; ++p)
          for (std::size_t c = 0; c < C; ++c) y[c] += in(0)[p * C + c];
        for (float& v : y) v /= static_cast<float>(HW);
        break;
      }
      case NetOp::Concat: {
        const auto& s0 = in_shape(0);
        const std::size_t HW = static_cast<std::size_t>(s0[0] * s0[1]), C = static_cast<std::size_t>(n.shape[2]);
        y.resize(HW * C);
        std::size_t off = 0;
        for (std::size_t j = 0; j < n.inputs.size(); ++j) {
          const std::size_t Cj = static_cast<std::size_t>(in_shape(j)[2]);
          const Tensor& xj = in(j);
          for (std::size_t p = 0; p < HW; ++p) std::copy_n(xj.data() + p * Cj, Cj, y.data() + p * C + off);
          off += Cj;
        }
        break;
      }
      case NetOp::Add:
        y = in(0);
        for (std::size_t j = 1; j < n.inputs.size(); ++j)
          for (std::size_t e = 0; e < y.size(); ++e) y[e] += in(j)[e];
        break;
      case NetOp::Pad: {
        const auto& s = in_shape(0);
        const int H = static_cast<int>(s[0]), W = static_cast<int>(s[1]), C = static_cast<int>(s[2]);
        const int Wo = static_cast<int>(n.shape[1]);
        y.assign(static_cast<std::size_t>(n.size()), 0.0f);
        for (int h = 0; h < H; ++h)
          for (int w = 0; w < W; ++w)
            std::copy_n(in(0).data() + (static_cast<std::size_t>(h) * W + w) * C, C,
                        y.data() + (static_cast<std::size_t>(h + n.padding[0]) * Wo + w + n.padding[2]) * C);
        break;
      }
      case NetOp::Identity:
      case NetOp::Reshape: y = in(0); break;
      case NetOp::Softmax: {
        y = in(0);
        const float mx = *std::max_element(y.begin(), y.end());
        double sum = 0;
        for (float& v : y) {
          v = std::exp(v - mx);
          sum += v;
        }
        for (float& v : y) v = static_cast<float>(v / sum);
        break;
      }
    }
    if (opt.keep_layers && is_weighted(n.op)) r.layer_outputs[i] = y;
    t[i] = std::move(y);
    for (int src : n.inputs)
      if (src >= 0 && last_use[static_cast<std::size_t>(src)] == i) Tensor().swap(t[static_cast<std::size_t>(src)]);
  }
  r.logits = t[static_cast<std::size_t>(net.logits)];
  r.probabilities = t[static_cast<std::size_t>(net.probabilities)];
  return r;
}

}  // namespace sparq
