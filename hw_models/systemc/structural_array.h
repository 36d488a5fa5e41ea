// Structural fidelity: the R x C array elaborated as SystemC modules (PEs in
// an sc_vector, edge feeders, edge encoders for edge LOD, output collectors,
// controller) linked by sc_signals, simulated in a fresh simulation context
// per call (SystemC allows one kernel per process; a fresh sc_simcontext
// per run lets a process simulate many GEMMs one after another), or kept in
// a StructuralSession and reused across GEMMs.
#pragma once

#include "array_sim.h"
#include "pe_datapath.h"

namespace sparq::hw {

// Runs one GEMM; adds cycle and event counts into stats. With a session (and
// no waveform or probe), the session's elaborated array is reused when the
// array configuration and activation signedness match.
std::vector<std::int64_t> run_structural(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                         const VcdOptions* vcd, CycleProbe* probe, StructuralSession* session);

}  // namespace sparq::hw
