// Network bundles (traces/README.md, "Network bundles"): the graph of one
// pretrained network (ops, tensors, shapes, attributes) with BatchNorm folded
// into the convolutions, int8 and float weights of every conv/dense node,
// calibrated activation scales, the evaluation images' network inputs and the
// original float network's outputs for each image. One reader: every error is
// an InputError naming the file and the node.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "enum_names.h"
#include "gemm.h"

namespace sparq {

enum class NetOp : std::uint8_t {
  Conv2D,
  DepthwiseConv2D,
  Dense,
  Relu,
  Relu6,
  MaxPool,
  AvgPool,
  GlobalAvgPool,
  Concat,
  Add,
  Pad,
  Identity,
  Softmax,
  Reshape
};
template <>
struct EnumTable<NetOp> {
  static constexpr const char* what = "op";
  static constexpr EnumName<NetOp> table[] = {
      {NetOp::Conv2D, "conv2d"},    {NetOp::DepthwiseConv2D, "depthwise_conv2d"},
      {NetOp::Dense, "dense"},      {NetOp::Relu, "relu"},
      {NetOp::Relu6, "relu6"},      {NetOp::MaxPool, "max_pool"},
      {NetOp::AvgPool, "avg_pool"}, {NetOp::GlobalAvgPool, "global_avg_pool"},
      {NetOp::Concat, "concat"},    {NetOp::Add, "add"},
      {NetOp::Pad, "pad"},          {NetOp::Identity, "identity"},
      {NetOp::Softmax, "softmax"},  {NetOp::Reshape, "reshape"}};
};
const char* net_op_name(NetOp op);  // enum_name(op)
bool is_weighted(NetOp op);         // conv2d, depthwise_conv2d, dense

struct NetNode {
  std::string name;  // also the name of the tensor it produces
  NetOp op = NetOp::Identity;
  std::vector<int> inputs;          // producing nodes' indices; -1 = the network input
  std::vector<std::int64_t> shape;  // output shape (channels last, no batch)
  std::int64_t size() const;        // elements of the output
  // conv / dense
  ConvGeometry geo;
  bool activation_signed = false;
  float activation_scale = 0;
  std::vector<std::int8_t> weights;        // [KH, KW, C_in/groups, C_out]
  std::vector<float> weight_scales, bias;  // [C_out]
  std::vector<float> float_weights;        // folded float weights, same layout as weights
  // pools / pad: [KH, KW], [SH, SW], [top, bottom, left, right]
  int pool[2] = {1, 1}, stride[2] = {1, 1}, padding[4] = {0, 0, 0, 0};
};

struct Network {
  std::string dir, manifest_path;  // the bundle directory and its network.yaml
  std::string name, model_name, model_source;
  std::string input_name;
  std::vector<std::int64_t> input_shape;  // [S, S, 3]
  float input_scale = 0;                  // network input = pixels * input_scale
  // Optional per-channel normalization (e.g. ImageNet mean/std): network
  // input = (pixels * input_scale - input_mean[c]) / input_std[c]; empty: none.
  std::vector<float> input_mean, input_std;
  std::vector<NetNode> nodes;           // topological order
  int logits = -1, probabilities = -1;  // node indices
  int classes = 0;
  // evaluation images
  int images = 0;
  std::vector<std::uint8_t> pixels;  // [images, S, S, 3]
  std::vector<float> float_logits;   // [images, classes], the original network (tfjs)
  std::vector<float> float_probs;    // [images, classes]
  std::vector<std::string> image_paths;
  int conv_count() const;
  int node_index(const std::string& name) const;  // -1 if none
};

// Reads and checks dir/network.yaml and every array it names (dtype, shape,
// value range, sha256 unless verify_sha is false). max_images > 0 loads only
// the first max_images images.
Network read_network(const std::string& dir, bool verify_sha = true, std::int64_t max_images = 0);

// .npy files' bytes by the name a manifest gives them.
using NetworkArrays = std::map<std::string, std::vector<std::uint8_t>>;
// The same for a network held in memory (the Python module): the manifest's
// YAML text, its array references naming entries of `arrays`; `name` labels
// errors in place of the manifest's path. Nothing is read from disk.
Network read_network_memory(const std::string& name, const std::string& manifest, const NetworkArrays& arrays,
                            std::int64_t max_images = 0);

}  // namespace sparq
