// Fast fidelity: the array's registers as plain arrays, advanced one clock
// cycle at a time by one function, with exactly the per-cycle semantics of the
// structural model (same controller, feeders, register enables and counters).
#pragma once

#include "array_sim.h"
#include "pe_datapath.h"

namespace sparq::hw {

// Runs one GEMM; stats receives the cycle and event counts (the GEMM-level
// fields are filled by the caller).
std::vector<std::int64_t> run_fast(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                   CycleProbe* probe);

}  // namespace sparq::hw
