// Executes a network bundle's graph on one image: the float ops in float32,
// every conv / dense node either in float (the folded float graph) or
// quantized through a PE design, on the functional core (bit-exact, no
// timing) or on the array model (cycle-accurate; fast or structural
// fidelity). A quantized node's input is the previous nodes' float output,
// quantized with the node's calibrated scale: error propagates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "array_sim.h"
#include "config.h"
#include "network.h"

namespace sparq {

enum class NetEngine : std::uint8_t { Float, Functional, Array };

// How each weighted node runs: pe[i] for node i (ignored for other nodes and
// by the float engine); array: rows, cols, dataflow, lod, fidelity (the node's
// pe replaces array.pe); acc_bits for every node.
struct NetPlan {
  NetEngine engine = NetEngine::Float;
  std::vector<PeArith> pe;  // one per node (index = node index)
  hw::ArrayConfig array;
  int acc_bits = 32;
};

struct NetResult {
  std::vector<float> logits, probabilities;
  // Per node: the output of every weighted node (dequantized accumulators +
  // bias, before any activation), when keep_layers; empty otherwise.
  std::vector<std::vector<float>> layer_outputs;
  // Per node: the integer accumulators of every weighted node ([H_out, W_out, C_out]), when keep_acc.
  std::vector<std::vector<std::int64_t>> layer_acc;
  // Per node: the array statistics of every weighted node (Array engine).
  std::vector<hw::ArrayStats> stats;
  // Per node, for the nodes NetRunOptions::capture marks (quantized engines):
  // the quantized input the node received, and the float layer (folded float
  // weights + bias) applied to the float tensor it was quantized from.
  std::vector<std::vector<std::uint8_t>> captured_input;
  std::vector<std::vector<float>> captured_float_output;
};

struct NetRunOptions {
  bool keep_layers = false;
  bool keep_acc = false;
  hw::StructuralSession* session = nullptr;  // Array engine, structural fidelity
  std::vector<char> capture;                 // per node: keep its propagated input (see NetResult)
};

// Refuses a network.cycles_image that is not among the network's images
// (the error names config_file).
void check_cycles_image(const NetworkOptions& nopt, const Network& net, const std::string& config_file);

// Per-node array statistics of one image under plan: the array engine's own
// (`timed`, when the image ran on it), else the image run on the fast array model.
std::vector<hw::ArrayStats> image_array_stats(const Network& net, int image, const NetPlan& plan,
                                              std::vector<hw::ArrayStats> timed = {});

// The plan `sparq-sim infer` runs a design with: every weighted node under
// the design, except the int8 ones (signed inputs; the first layer with
// network.first_layer: int8; network.overrides). int8_layers: how many
// weighted nodes run int8. Throws InputError (naming config_file) for an
// override naming no conv/dense node.
NetPlan network_plan(const Network& net, const DesignPoint& d, const NetworkOptions& nopt,
                     const std::string& config_file, int* int8_layers = nullptr);

// The network input of image i: pixels * input_scale, float32 [S, S, 3].
std::vector<float> network_input(const Network& net, int image);

NetResult run_network(const Network& net, int image, const NetPlan& plan, const NetRunOptions& opt = {});

// Quantizes a float tensor with zero point 0: round half to even, clamped to
// [0, 255] (unsigned) or [-127, 127] (signed, stored as int8 bit patterns).
std::vector<std::uint8_t> quantize_activations(const std::vector<float>& x, float scale, bool is_signed);

}  // namespace sparq
