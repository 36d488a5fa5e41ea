// Cycle-accurate simulation of an R x C systolic array of SPARQ PEs running a
// GEMM or a whole (grouped) convolution layer. Two fidelities, one behaviour:
//   Structural: every PE an sc_module with ports and sc_signal links, the
//     datapath blocks (LOD/shift encoder, window select, zero detectors, pair
//     mux, shifting multipliers, accumulator adder) as sub-modules; optional
//     VCD waveform of chosen PEs.
//   Fast: the same registers and per-cycle semantics advanced by plain C++
//     over arrays (no SystemC kernel).
// Both produce identical cycle counts, outputs and statistics (tests check).
// The register-level behaviour is described in hw_models/systemc/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gemm.h"
#include "pe_design.h"
#include "pe_stats.h"

namespace sparq::hw {

using sparq::Dataflow;
using sparq::LodPlacement;
using sparq::to_string;
using sparq::WeightBuffering;

// fast: the fold model (fold_model.h), or the stepped model when a CycleProbe
// is attached; stepped: the plain C++ model stepping every register every
// cycle (fast_array.h), the reference for fast; structural: SystemC modules.
enum class Fidelity : std::uint8_t { Fast, Stepped, Structural };

}  // namespace sparq::hw

namespace sparq {
template <>
struct EnumTable<hw::Fidelity> {
  static constexpr const char* what = "fidelity";
  static constexpr EnumName<hw::Fidelity> table[] = {
      {hw::Fidelity::Fast, "fast"}, {hw::Fidelity::Stepped, "stepped"}, {hw::Fidelity::Structural, "structural"}};
};
}  // namespace sparq

namespace sparq::hw {

inline const char* to_string(Fidelity f) {
  return enum_name(f);
}

struct ArrayConfig {
  int rows = 16, cols = 16;
  Dataflow dataflow = Dataflow::WS;
  // Where leading-one detection sits. Ignored by the int8 design (it has no
  // encoder): no encodings are counted and the raw activation travels.
  LodPlacement lod = LodPlacement::PE;
  Fidelity fidelity = Fidelity::Fast;
  PeArith pe = PeArith::int8();
  int acc_bits = 32;  // partial-sum / accumulator width, 2..64
  // single: each fold loads (ws) or drains (os) before the next streams;
  // double: a shadow weight register (ws) / an output register (os) per PE
  // lets the next fold's weights load / the last fold's outputs drain while
  // a fold streams (docs/hardware.md "Weight buffering").
  WeightBuffering weight_buffering = WeightBuffering::Single;

  // Throws std::invalid_argument naming the field: rows/cols in 1..4096,
  // acc_bits in 2..64, and the PE arithmetic (PeArith::validate()).
  void validate() const;
};

// Waveform dump (structural fidelity only; ignored by the fast model).
struct VcdOptions {
  // Output file (".vcd" is appended if the path does not end in it). Required.
  std::string path;
  // PEs to trace as (row, col), 0-based; empty = every PE. Out-of-range
  // entries throw std::invalid_argument.
  std::vector<std::pair<int, int>> pes;
  // Cycle window [first_cycle, last_cycle] (inclusive, cycle numbers as in
  // ArrayStats::cycles: cycle 0 is the first clock cycle of the GEMM). The PE
  // signals in the VCD follow the hardware inside the window and hold their
  // value outside it. The clock period is 1 ns (VCD timescale 100 ps, so the
  // clock's falling edge is representable); cycle t spans [t ns, t+1 ns).
  std::uint64_t first_cycle = 0, last_cycle = UINT64_MAX;
};

// Bit widths of the registers the toggle counts refer to: the design's
// (PeDesign::widths), which the area and energy proxies read too.
using RegisterWidths = PeWidths;
RegisterWidths register_widths(const ArrayConfig& cfg);

struct ArrayStats {
  // Clock cycles. total = weight_load + fill + stream + drain, every cycle in
  // exactly one part (see README "Cycle accounting"):
  //   weight_load: ws weight-shift cycles (R per fold); 0 for os.
  //   fill: streaming cycles before the bottom-right PE receives its first
  //         operand slot of the fold (R + C - 2 per fold).
  //   stream: cycles in which the bottom-right PE receives operand slots.
  //   drain: os accumulator drain (R per fold); ws the final output-accumulator
  //          stage (1 per GEMM).
  // There are no stall or idle cycles in this model (operands come from
  // on-chip buffers that are never empty).
  std::uint64_t cycles = 0, weight_load = 0, fill = 0, stream = 0, drain = 0;
  // SCALE-Sim v2 "compute cycles" for the same array, dataflow and GEMMs
  // (reduction steps as the array runs them: K for int8, ceil(K/2) pairs
  // otherwise). See scalesim_compute_cycles() for the formula and offset.
  std::uint64_t scalesim_compute_cycles = 0;
  std::uint64_t gemms = 0;                 // GEMMs simulated (groups of a layer)
  std::uint64_t macs = 0;                  // useful MACs: sum of M*N*K (K unpadded)
  std::uint64_t pe_active_cycles = 0;      // (PE, cycle) pairs doing useful work
  std::uint64_t pe_cycles_available = 0;   // R * C * cycles
  std::uint64_t mult_slot_busy = 0;        // multiplier-cycles on useful operands
  std::uint64_t mult_slots_available = 0;  // multipliers per PE * R * C * cycles
  // Energy proxy: bit toggles (Hamming distance between consecutive values,
  // sampled once per cycle) and register loads.
  std::uint64_t mult_input_toggles = 0;   // operand inputs of every multiplier
  std::uint64_t act_reg_toggles = 0;      // horizontal operand registers + row edge buses
  std::uint64_t weight_reg_toggles = 0;   // weight registers + column edge buses
  std::uint64_t psum_reg_toggles = 0;     // ws psum registers; os in-PE accumulators
  std::uint64_t acc_toggles = 0;          // output accumulators / collectors at the array edge
  std::uint64_t reg_writes = 0;           // data-register load events (clock-enabled loads)
  std::uint64_t mult_weight_toggles = 0;  // the weight-side part of mult_input_toggles
  std::uint64_t act_reg_writes = 0;       // reg_writes by register class (act + weight + psum =
  std::uint64_t weight_reg_writes = 0;    //   reg_writes; psum includes the edge accumulators),
  std::uint64_t psum_reg_writes = 0;      //   so that bits clocked = writes x register width
  std::uint64_t combined_multiplies = 0;  // vsparq pairs with one zero, computed on both lanes
  std::uint64_t lod_edge_encodings = 0;   // encodings by the row-edge encoders
  std::uint64_t lod_pe_encodings = 0;     // encodings by in-PE front ends
  std::uint64_t folds = 0;                // tiles run (ws: K x N folds; os: M x N folds)
  std::uint64_t acc_overflows = 0;        // hardware adder results outside acc_bits
  // The memory system (hw_models/core/memory_model.h), when modelled: the
  // whole array stalls (clock gated) while an operand it needs is missing, a
  // scratchpad port is too narrow, or the ofmap scratchpad is full. stall is
  // a part of cycles (the array models count none; the runner adds them).
  std::uint64_t stall = 0, stall_ifmap = 0, stall_filter = 0, stall_ofmap = 0, stall_port = 0;
  std::uint64_t sram_ifmap_read = 0, sram_ifmap_write = 0, sram_filter_read = 0, sram_filter_write = 0;
  std::uint64_t sram_ofmap_read = 0, sram_ofmap_write = 0;                        // bytes
  std::uint64_t dram_ifmap_read = 0, dram_filter_read = 0, dram_ofmap_write = 0;  // bytes
  std::uint64_t unique_ifmap = 0, unique_filter = 0, unique_ofmap = 0;            // bytes the layers read / write
  std::uint64_t dram_requests = 0, dram_bus_cycles = 0;
  // Largest values (merged by max, not summed): scratchpad occupancy in
  // bytes; ifmap bytes the array reads per cycle; bits per cycle on the row
  // buses (rows x operand register width).
  std::uint64_t peak_ifmap = 0, peak_filter = 0, peak_ofmap = 0, ifmap_bytes_per_cycle = 0, row_bus_bits = 0;
  // Functional front-end statistics: count_pair once per (m, k-pair) of each
  // GEMM's A matrix, exactly as reference_gemm counts them; overflows =
  // acc_overflows (the hardware's adders, see README: equals the reference's
  // count except for ws with several K folds, whose addition order differs).
  PeStats front_end;

  double pe_utilization() const;
  double mult_slot_utilization() const;
  double macs_per_cycle() const;
  // Memory-system byte totals: DRAM bytes moved (reads and writes), the
  // unique bytes the layers read and write, scratchpad bytes read and written.
  std::uint64_t dram_bytes() const { return dram_ifmap_read + dram_filter_read + dram_ofmap_write; }
  std::uint64_t unique_bytes() const { return unique_ifmap + unique_filter + unique_ofmap; }
  std::uint64_t sram_bytes() const {
    return sram_ifmap_read + sram_ifmap_write + sram_filter_read + sram_filter_write + sram_ofmap_read +
           sram_ofmap_write;
  }
  void merge(const ArrayStats& o);  // sums every counter of array_stat_defs() and front_end
  bool operator==(const ArrayStats& o) const;
};

// Every statistic of an array run, declared once, in report order: where it
// is reported (group, name; an empty group is a counter the reports do not
// show), its unit and description, and how it is read: a counter of
// ArrayStats (summed by merge, compared by ==, written as an integer) or a
// value derived from the counters at the design's clock. results.json, the
// CSV columns, merge and equality all walk this table.
struct ArrayStatDef {
  std::string group, name, unit, desc;
  std::uint64_t ArrayStats::*counter = nullptr;
  std::function<double(const ArrayStats&, double clock_mhz)> derived;  // when counter is null
  bool integer = false;                                                // derived: an integer count
  bool scalesim_only = false;  // reported only with simulation.scalesim_compatible
  bool memory_only = false;    // reported only when the memory system is modelled (memory.enabled)
  bool peak = false;           // a largest value: merged by max
};
const std::vector<ArrayStatDef>& array_stat_defs();
// Number of ArrayStats counters the table declares (a test checks that every
// counter member is declared).
std::size_t array_stat_counters();
// The description of a report group of array_stat_defs() ("cycles", ...).
std::string array_stat_group_description(const std::string& group);

struct GemmRun {
  std::vector<std::int64_t> C;  // M x N row-major, wrapped to acc_bits
  ArrayStats stats;
};

// Optional per-cycle observation of one array column's output collector, for
// timing tests. samples[t] is what the collector's output register shows
// during cycle t (t = 0 .. cycles): out_valid is set in the cycle after the
// register was written.
struct CycleProbe {
  int col = 0;  // array column observed
  struct Sample {
    bool out_valid = false;
    bool final = false;  // ws: written by the last K fold (the output is complete)
    int m = -1, n = -1;  // GEMM coordinates of the value shown
    std::int64_t value = 0;
    int active_pes = 0;  // PEs doing useful work during this cycle
    char phase = '-';    // 'L' load, 'F' fill, 'S' stream, 'D' drain
    bool load = false;   // ws: the column buses carry weights (the load broadcast is on)
  };
  std::vector<Sample> samples;
};

// Keeps one elaborated structural array across GEMMs (the groups of a layer,
// the layers of a run): elaboration and teardown are paid once per array
// configuration and activation signedness instead of once per GEMM. A GEMM
// with a waveform or a probe is elaborated on its own. Not thread-safe.
class StructuralSession {
 public:
  StructuralSession();
  ~StructuralSession();
  StructuralSession(const StructuralSession&) = delete;
  StructuralSession& operator=(const StructuralSession&) = delete;
  std::uint64_t elaborations() const;  // arrays elaborated so far

  struct Impl;  // the context and the array (structural_array.cpp)
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Runs one GEMM (g.K unpadded; pair designs consume g.Kp/2 pairs). Throws
// std::invalid_argument for a bad config, an empty GEMM, or signed
// activations under a pair design.
GemmRun simulate_gemm(const Gemm& g, const ArrayConfig& cfg, const VcdOptions* vcd = nullptr,
                      CycleProbe* probe = nullptr, StructuralSession* session = nullptr);

struct LayerRun {
  std::vector<std::int64_t> acc;  // [H_out, W_out, C_out], wrapped to acc_bits
  ArrayStats stats;
};

// Every group of the layer as one GEMM (lower_conv), run back to back on the
// same array: cycles and all counts of the groups add (no overlap between
// groups). A VCD, if requested, covers group 0 only.
LayerRun simulate_layer(const ConvGeometry& geo, const std::uint8_t* input, const std::int8_t* weights,
                        const ArrayConfig& cfg, bool signed_activations = false, const VcdOptions* vcd = nullptr);

// SCALE-Sim v2's compute cycles (stall-free) for one GEMM of M x N outputs
// over `steps` reduction steps on an R x C array (scalesim/compute/
// systolic_compute_{ws,os}.py, create_*_demand_mat, and
// memory/double_buffered_scratchpad_mem.py service_memory_requests, which
// reports the index of the last demand line):
//   ws: ceil(steps/R) * ceil(N/C) * (2R + C + M - 2) - 1
//   os: ceil(M/R) * ceil(N/C) * (R + C + steps - 2) - 1
std::uint64_t scalesim_compute_cycles(std::uint64_t M, std::uint64_t N, std::uint64_t steps, int R, int C, Dataflow df);
// Our cycle count minus SCALE-Sim's for the same GEMM (README "SCALE-Sim"):
//   ws: 2; os: 1 + R * ceil(M/R) * ceil(N/C).
std::uint64_t scalesim_offset(std::uint64_t M, std::uint64_t N, std::uint64_t steps, int R, int C, Dataflow df);

}  // namespace sparq::hw
