// Memory bounded up front (README "Reliability"): an estimate of a run's
// peak memory from the manifest's shapes alone, before any array is read,
// compared with simulation.max_memory; and the conv lowering limited to the
// output pixels a preview (trace.max_pixels) simulates, so that the im2col
// matrix is never built whole for a preview.
//
// The estimate lives here, beside the driver, because hw_models/ is owned
// separately; the per-PE model costs are measured constants (see
// run_budget.cpp) that the hardware model may later own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "array_sim.h"
#include "gemm.h"

namespace sparq {

// Bytes of host memory one PE of the array model costs (measured peak RSS;
// run_budget.cpp says how).
std::uint64_t model_bytes_per_pe(const hw::ArrayConfig& a);

// One layer as the estimate sees it.
struct LayerBudget {
  std::string name;
  ConvGeometry geo;
  std::int64_t pixels = 0;  // output pixels simulated
  bool has_bias = false, has_float = false;
};

struct MemoryEstimate {
  std::uint64_t bytes = 0;  // peak estimate
  std::string biggest;      // what dominates, for the message
};

// Peak memory of a run over these layers and arrays: every layer's arrays
// and lowered GEMMs (kept for the whole run), the largest layer's transient
// load and result buffers, and the largest array model.
MemoryEstimate estimate_run_memory(const std::vector<LayerBudget>& layers, const std::vector<hw::ArrayConfig>& arrays,
                                   bool check_reference);

// "1.5 GiB"
std::string format_bytes(std::uint64_t b);

// Warning text when an array dwarfs a layer's GEMM (most PEs idle, yet the
// simulation costs rows x cols x cycles), or "".
std::string array_dwarfs_layer(const hw::ArrayConfig& a, const LayerBudget& l);

}  // namespace sparq
