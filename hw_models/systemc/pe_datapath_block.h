// The combinational datapath of one PE: front end (pair designs with the
// leading-one detection in the PE), pair multiplexer, multipliers and the
// lane adder. Inputs: the operand as it arrives (raw activation(s), or the
// encoded operand with edge LOD) and the weight register; outputs: the
// product and the multiplier input bits (for toggle counting).
#pragma once

#include <memory>
#include <systemc>

#include "array_sim.h"
#include "int8_multiplier.h"
#include "pair_encoder.h"
#include "pair_mux.h"
#include "shift_multiplier.h"

namespace sparq::hw {

class PeDatapathBlock : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(PeDatapathBlock);
  sc_core::sc_in<std::uint32_t> a;  // operand payload at the PE input
  sc_core::sc_in<std::uint32_t> w;  // weight payload
  sc_core::sc_out<std::int64_t> prod;
  sc_core::sc_out<std::uint32_t> mult_bits;  // multiplier input bits, packed (pe_datapath.h)
  sc_core::sc_out<unsigned> mode;            // pair mode of the operand (BothNonzero for int8)

  PeDatapathBlock(sc_core::sc_module_name name, const ArrayConfig& cfg, bool signed_activations);

  // Internal signals exposed for waveforms.
  const sc_core::sc_signal<std::uint32_t>& encoded() const { return enc_; }

 private:
  void copy_enc();
  void sum_int8();
  void sum_pair();

  PeArith pe_;
  sc_core::sc_signal<std::uint32_t> enc_;
  sc_core::sc_signal<unsigned> v0_, s0_, v1_, s1_;
  sc_core::sc_signal<int> w0_, w1_, p0_, p1_;
  std::unique_ptr<PairEncoder> front_;  // pair designs, LOD in the PE
  std::unique_ptr<PairMux> mux_;
  std::unique_ptr<ShiftMultiplier> mul0_, mul1_;
  std::unique_ptr<Int8Multiplier> mul8_;
};

}  // namespace sparq::hw
