// Trace bundles (traces/README.md): a manifest.yaml plus .npy arrays per
// layer. The manifest is read once; each layer's arrays are loaded on demand
// and checked (shape, dtype, value range, sha256) before use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gemm.h"
#include "npy.h"

namespace sparq {

struct ArrayRef {
  std::string path;    // relative to the bundle directory
  std::string sha256;  // empty: not verified
};

struct LayerInfo {
  std::string name;
  std::string op;  // conv2d | depthwise_conv2d | dense
  ConvGeometry geo;
  bool activation_signed = false;
  double activation_scale = 0.0;
  std::string input_source;
  ArrayRef input, weights, weight_scales;
  std::optional<ArrayRef> bias, float_output;
};

struct BundleManifest {
  std::string dir;            // bundle directory
  std::string manifest_path;  // dir/manifest.yaml
  std::string name;
  std::string model_name;
  std::string model_source;
  bool pretrained = true;
  std::string image_path;
  std::vector<LayerInfo> layers;

  // Index of the named layer; throws InputError naming the bundle.
  const LayerInfo& layer(const std::string& name) const;
};

struct LayerTrace {
  LayerInfo info;
  std::vector<std::uint8_t> input;   // [H, W, C_in]; int8 bit patterns if signed
  std::vector<std::int8_t> weights;  // [KH, KW, C_in/groups, C_out]
  std::vector<float> weight_scales;  // [C_out]
  std::vector<float> bias;           // [C_out] or empty
  std::vector<float> float_output;   // [H_out, W_out, C_out] or empty
};

// Reads and validates dir/manifest.yaml (or a path to the manifest itself).
BundleManifest read_manifest(const std::string& dir_or_manifest);
// Parses a manifest's text (as read_manifest does with the file's content;
// arrays are not touched). manifest_path names it and locates the bundle.
BundleManifest parse_manifest(const std::string& text, const std::string& manifest_path);
// Loads and checks one layer's arrays. verify_sha: compare sha256s.
LayerTrace load_layer(const BundleManifest& b, const LayerInfo& info, bool verify_sha = true);
// The value checks load_layer applies to a layer's arrays (weight scales
// positive and finite, bias and float output finite); throws InputError
// naming `where`. For layers built in memory (the Python module).
void check_layer_values(const LayerTrace& t, const std::string& where);

// Writes a bundle (arrays and manifest, each atomically). Used by tests that
// generate synthetic bundles and by tools that re-export; fills in sha256s.
void write_bundle(const std::string& dir, const BundleManifest& meta, const std::vector<LayerTrace>& layers);

}  // namespace sparq
