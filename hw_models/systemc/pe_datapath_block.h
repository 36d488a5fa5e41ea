// The combinational datapath of one PE: front end (pair designs with the
// leading-one detection in the PE), pair multiplexer, multipliers and the
// lane adder. Inputs: the operand as it arrives (raw activation(s), or the
// encoded operand with edge LOD) and the weight; outputs: the product, the
// multiplier input bits (for toggle counting) and the pair mode.
// Its blocks are sub-modules evaluated by direct calls from the PE's clocked
// process: no ports, no processes, no delta cycles inside a PE.
#pragma once

#include <optional>
#include <systemc>

#include "accumulator_adder.h"
#include "array_sim.h"
#include "int8_multiplier.h"
#include "pair_encoder.h"
#include "pair_mux.h"
#include "pe_step.h"
#include "shift_multiplier.h"

namespace sparq::hw {

// What the datapaths of all PEs share: the arithmetic and widths (the same
// wiring in every PE), held once per array and passed to the blocks' eval,
// so that evaluating a block reads no per-instance state.
struct DatapathParams {
  DatapathParams(const ArrayConfig& cfg, bool signed_activations);
  PeArith pe;
  int acc_bits;
  bool pairs, edge, signed_act, pe_lod;
  bool dbl;                   // double buffering (shadow weight / output register)
  std::uint32_t weight_mask;  // weight side of the packed multiplier inputs
};

struct DatapathOut {
  std::int64_t prod = 0;
  std::uint32_t mult_bits = 0;            // multiplier input bits, packed (pe_datapath.h)
  PairMode mode = PairMode::BothNonzero;  // pair mode of the operand (BothNonzero for int8)
};

// The datapath's decisions at given inputs, for waveforms (pair designs).
struct DatapathTrace {
  EncodedPair enc;                     // the front end's output (or the edge encoding)
  LaneOperands mult;                   // what each multiplier takes
  std::array<std::uint8_t, 2> wsel{};  // which weight each multiplier takes: 0 w1, 1 w2
  std::int64_t prod = 0;
};

class PeDatapathBlock : public sc_core::sc_module {
 public:
  // Builds the blocks the design has.
  PeDatapathBlock(sc_core::sc_module_name name, const DatapathParams& p);
  // a: the operand payload at the PE input; w: the weight payload.
  DatapathOut eval(std::uint32_t a, std::uint32_t w, const DatapathParams& p) const;
  // The same evaluation, keeping what a waveform shows (not on the simulation's path).
  DatapathTrace trace(std::uint32_t a, std::uint32_t w, const DatapathParams& p) const;

 private:
  std::optional<PairEncoderLogic> front_;  // pair designs, LOD in the PE
  std::optional<PairMuxLogic> mux_;
  std::optional<ShiftMultiplierLogic> mul0_, mul1_;
  std::optional<Int8MultiplierLogic> mul8_;
};

// The PE step's datapath policy (pe_step.h) of a structural PE: its datapath
// block, evaluated once per change of the block's inputs (it is
// combinational), and its accumulator adder block.
class BlockDatapath {
 public:
  static constexpr bool kCountBusy = true, kCountLod = true, kTracksIdx = false;
  BlockDatapath(const DatapathParams* p, const PeDatapathBlock* dp, const AccumulatorAdderLogic* adder)
      : p_(p), dp_(dp), adder_(adder) {}
  template <class Sink>
  void sample(PeRegs& q, const Operand& a, std::uint32_t w, Sink& k) {
    sample_mult(q, a.pay, w, p_->weight_mask, k, [&] {
      out_ = dp_->eval(a.pay, w, *p_);
      return out_.mult_bits;
    });
  }
  std::int64_t product(const Operand&, std::uint32_t) const { return out_.prod; }
  int busy(const Operand&) const { return busy_slots(p_->pe, out_.mode); }
  bool lod() const { return p_->pe_lod; }
  template <bool Wide, class Sink>
  std::int64_t add(const AccRange&, std::int64_t acc, std::int64_t x, bool count, Sink& k) const {
    const AccumulatorAdderLogic::Out o = adder_->eval(acc, x, p_->acc_bits);
    if (count) k.overflow(o.overflow);
    return o.sum;
  }

 private:
  const DatapathParams* p_;
  const PeDatapathBlock* dp_;
  const AccumulatorAdderLogic* adder_;
  DatapathOut out_;
};

}  // namespace sparq::hw
