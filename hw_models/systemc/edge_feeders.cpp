#include "edge_feeders.h"

namespace sparq::hw {

RowFeeder::RowFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int row)
    : sc_core::sc_module(name),
      clk("clk"),
      ctl_in("ctl"),
      out("out"),
      mem_(mem),
      cfg_(cfg),
      geom_(*mem, cfg),
      row_(row),
      encoder_(mem->edge ? std::make_unique<PairEncoderLogic>("edge_encoder", cfg.pe) : nullptr) {
  SC_METHOD(eval);
  sensitive << ctl_in.phase << ctl_in.outer << ctl_in.inner << ctl_in.step << ctl_in.prev_outer << ctl_in.prev_inner;
  SC_METHOD(sample);
  sensitive << clk.pos();
  dont_initialize();
}

void RowFeeder::eval() {
  const Slot s = row_feed(*mem_, ctl_in.read(), geom_, row_);
  bus_ = s.payload;
  bus_ctl_ = s.ctl;
  out.write(OpLink{encoder_ ? pack_encoded(encoder_->eval(s.payload, cfg_.pe), cfg_.pe) : s.payload, s.ctl});
}

// The bus of the ending cycle: eval() runs only after the controller's state
// changed at this clock edge.
void RowFeeder::sample() {
  cnt_.act_toggles += static_cast<std::uint64_t>(hamming(prev_, bus_));
  prev_ = bus_;
  if (mem_->edge && (bus_ctl_ & kEn)) ++cnt_.lod_edge;
}

ColFeeder::ColFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int col)
    : sc_core::sc_module(name),
      clk("clk"),
      ctl_in("ctl"),
      out("out"),
      col_mapped("col_mapped"),
      mem_(mem),
      cfg_(cfg),
      geom_(*mem, cfg),
      col_(col) {
  SC_METHOD(eval);
  sensitive << ctl_in.phase << ctl_in.outer << ctl_in.inner << ctl_in.step << ctl_in.prev_outer << ctl_in.prev_inner;
  SC_METHOD(sample);
  sensitive << clk.pos();
  dont_initialize();
}

void ColFeeder::eval() {
  const CtlState st = ctl_in.read();
  const Slot s = col_feed(*mem_, st, geom_, col_);
  out.write(OpLink{s.payload, s.ctl});
  col_mapped.write(st.outer * cfg_.cols + col_ < mem_->N);
}

void ColFeeder::sample() {
  const std::uint32_t w = out.read().pay;
  cnt_.weight_toggles += static_cast<std::uint64_t>(hamming(prev_, w));
  prev_ = w;
}

}  // namespace sparq::hw
