// Fast fidelity, fold by fold: the outputs, cycle counts and every statistic
// of the cycle-stepped model (fast_array.h), derived from per-row, per-column
// and per-fold quantities instead of stepping R x C registers every cycle.
// The array's timing is data-independent (cycles depend only on the GEMM's
// shape), so what remains is the data: register toggles and multiplier
// inputs follow from the operand streams each row and column carries; psums
// and accumulators are prefix sums of the GEMM. Cost: the GEMM's MACs (each
// psum a PE produces is needed for its toggles) plus O(R * C) per fold for
// the edges, where the stepped model costs R * C per cycle.
//
// The stepped model stays as the reference: tests check this model against
// it on random configurations, every output and statistic equal.
#pragma once

#include "array_sim.h"
#include "pe_datapath.h"

namespace sparq::hw {

// Runs one GEMM; stats receives the cycle and event counts (the GEMM-level
// fields are filled by the caller). Identical to run_fast() without a probe.
std::vector<std::int64_t> run_fold_model(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats);

}  // namespace sparq::hw
