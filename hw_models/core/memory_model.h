// The memory system behind the array (docs/memory.md): three on-chip
// scratchpads (ifmap, filter, ofmap) with a capacity and read/write ports,
// and one DRAM interface (bandwidth, latency, bounded outstanding requests)
// shared by all three. The array runs its folds as FoldSchedule describes;
// when an operand it is about to read has not arrived in its scratchpad, a
// port cannot deliver the bytes a cycle needs, or the ofmap scratchpad has no
// room for the outputs it is about to write, the whole array stalls (its
// clock is gated: no register changes, so stalls add cycles but change no
// output and no activity counter). Prefetch follows the fold order.
//
// The model is event driven, not cycle stepped: it walks a layer's transfer
// units ("chunks": the new bytes a fold needs over chunk_steps consecutive
// stream steps) in array time, maps array time to real time through the
// stalls so far, and serves DRAM requests first come, first served on one
// bus. It is exact for the model it states (tests pin hand-computed cases).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "enum_names.h"
#include "gemm.h"

namespace sparq {

// One on-chip scratchpad. Capacity 0 = unlimited; word_bytes 0 = ports of
// unlimited width.
struct ScratchpadConfig {
  std::uint64_t bytes = 0;
  int word_bytes = 0;
  int read_ports = 1, write_ports = 1;
  // Port bandwidths in bytes per cycle (0 = unlimited).
  std::uint64_t read_bytes_per_cycle() const { return static_cast<std::uint64_t>(word_bytes) * read_ports; }
  std::uint64_t write_bytes_per_cycle() const { return static_cast<std::uint64_t>(word_bytes) * write_ports; }
};

// The DRAM behind the scratchpads (MemoryBackend's built-in model).
struct DramConfig {
  double bytes_per_cycle = 0;  // at the array clock, at most three decimals; 0 = unlimited
  std::uint64_t latency = 0;   // cycles from a request's transfer to its completion
  int max_outstanding = 0;     // requests in flight at once; 0 = unlimited
  int burst_bytes = 64;        // request size
};

struct MemoryConfig {
  bool enabled = false;  // false: ideal memory (no model run, no stall)
  ScratchpadConfig ifmap, filter, ofmap;
  DramConfig dram;
  int chunk_steps = 16;  // stream steps per transfer unit
  // How many folds ahead the prefetcher may fetch: 1 = double buffering (the
  // next fold's data while the current fold runs); 0 = as far as the
  // scratchpads have room.
  int prefetch_folds = 1;
  int output_bytes = 1;  // bytes per output written to the ofmap scratchpad (1: requantized int8)
  // Throws SettingError naming the key of the `memory` section (e.g. "dram_burst_bytes").
  void validate() const;
};

// The array as the memory system sees it.
struct MemoryArray {
  int rows = 16, cols = 16;
  Dataflow dataflow = Dataflow::WS;
  WeightBuffering buffering = WeightBuffering::Single;
  bool pairs = false;  // pair designs: a reduction step carries two activations (and two weights)
};

enum MemBuffer : int { kIfmap = 0, kFilter = 1, kOfmap = 2 };
inline const char* mem_buffer_name(int b) {
  return b == kIfmap ? "ifmap" : (b == kFilter ? "filter" : "ofmap");
}

struct MemoryStats {
  std::uint64_t compute_cycles = 0;  // the array's cycles without stalls (sum of FoldSchedule::cycles)
  std::uint64_t stall[3] = {};       // stall cycles by the buffer that caused them
  std::uint64_t port_stall[3] = {};  // the part of stall[] caused by a scratchpad port's width
  std::uint64_t sram_read[3] = {};   // bytes read from each scratchpad (ofmap: drained to DRAM)
  std::uint64_t sram_write[3] = {};  // bytes written (ifmap, filter: filled from DRAM; ofmap: array outputs)
  std::uint64_t dram_read[3] = {};   // DRAM bytes read into each input scratchpad
  std::uint64_t dram_write[3] = {};  // DRAM bytes written from each scratchpad (ofmap)
  std::uint64_t unique[3] = {};      // distinct bytes the layer reads (ifmap, filter) or writes (ofmap)
  std::uint64_t peak[3] = {};        // largest occupancy of each scratchpad [byte]
  std::uint64_t dram_requests = 0;
  std::uint64_t dram_bus_cycles = 0;    // cycles the DRAM bus transferred data (rounded up)
  std::uint64_t peak_ifmap_demand = 0;  // largest ifmap bytes the array reads in one cycle
  std::uint64_t stalls() const { return stall[0] + stall[1] + stall[2]; }
  std::uint64_t cycles() const { return compute_cycles + stalls(); }
  std::uint64_t dram_bytes() const;
};

// A convolution layer (or a dense layer as a 1x1 convolution on a 1x1
// image), its groups run one after another as GEMMs, each over the first
// `pixels` output pixels.
struct MemoryLayer {
  ConvGeometry geo;
  std::int64_t pixels = 0;  // <= H_out * W_out
};

// One DRAM interface (docs/memory.md §7). The memory engine submits
// requests (bursts) in non-decreasing `ready` order and asks for a request's
// times only when it needs them: when the array needs a chunk, the
// completion of its last burst; when the ofmap scratchpad needs room, when a
// write's data left it. A backend may answer at once (the built-in model) or
// run its own simulation until the request gets there (a TLM-2.0 target such
// as DRAMSys behind hw::TlmDramBackend); it is never asked about a time later
// than the array will have reached by then.
class DramBackend {
 public:
  virtual ~DramBackend() = default;
  // address: a byte address in a flat layout (ifmap from 0, filter from
  // 2^40, ofmap from 2^41, each buffer's stream laid out in order).
  virtual std::uint64_t submit(double ready, std::uint64_t address, std::uint32_t bytes, bool write) = 0;
  // When the request's data crossed the interface (read: in the scratchpad's
  // way; write: out of the scratchpad), and when the request completed.
  // transferred: kInf-like (+infinity) when not transferred by `until`; a
  // backend must not simulate past `until` to answer.
  virtual double transferred(std::uint64_t id, double until) = 0;
  virtual double done(std::uint64_t id) = 0;
  // Cycles the interface spent moving data so far.
  virtual double busy_cycles() const = 0;
};

// The built-in DRAM: one bus of `bytes_per_cycle`; a request issues once it
// is ready and fewer than max_outstanding requests are in flight, transfers
// when the bus is free (bytes / bandwidth cycles), and completes `latency`
// cycles after its transfer. Exact: time is counted in units of 1/(1000 x
// bandwidth) cycles (the bandwidth has at most three decimals), so a
// transfer of n bytes is 1000 n units and no rounding accumulates.
class BuiltinDram : public DramBackend {
 public:
  explicit BuiltinDram(const DramConfig& cfg);
  std::uint64_t submit(double ready, std::uint64_t address, std::uint32_t bytes, bool write) override;
  double transferred(std::uint64_t id, double until) override;
  double done(std::uint64_t id) override { return cycles(times_.at(id).second); }
  double busy_cycles() const override { return cycles(busy_); }

 private:
  double cycles(std::uint64_t units) const { return static_cast<double>(units) / static_cast<double>(scale_); }
  bool unlimited_;
  std::uint64_t scale_, lat_;  // units per cycle; latency in units
  int q_;
  std::uint64_t bus_free_ = 0, busy_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> times_;  // (transferred, done) per request, in units
};

// Runs the layer's GEMMs through the memory system. Throws
// std::invalid_argument when a scratchpad cannot hold what must be in it at
// once (naming the scratchpad's key and the bytes it needs).
// dram: another DRAM model (nullptr: BuiltinDram from cfg.dram).
MemoryStats simulate_memory(const MemoryConfig& cfg, const MemoryArray& array, const MemoryLayer& layer,
                            DramBackend* dram = nullptr);

}  // namespace sparq
