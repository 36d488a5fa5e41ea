#include "edge_feeders.h"

namespace sparq::hw {

RowFeeder::RowFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int row)
    : sc_core::sc_module(name), clk("clk"), ctl_in("ctl"), ctl("bus_ctl"), raw("bus"), mem_(mem), cfg_(cfg), row_(row) {
  SC_METHOD(eval);
  sensitive << ctl_in.phase << ctl_in.outer << ctl_in.inner << ctl_in.step;
  SC_METHOD(sample);
  sensitive << clk.pos();
  dont_initialize();
}

void RowFeeder::eval() {
  const Slot s = row_feed(*mem_, ctl_in.read(), cfg_.rows, cfg_.cols, cfg_.dataflow, row_);
  ctl.write(s.ctl);
  raw.write(s.payload);
}

void RowFeeder::sample() {
  cnt_.act_toggles += static_cast<std::uint64_t>(hamming(prev_, raw.read()));
  prev_ = raw.read();
  if (mem_->edge && (ctl.read() & kEn)) ++cnt_.lod_edge;
}

ColFeeder::ColFeeder(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg, int col)
    : sc_core::sc_module(name),
      clk("clk"),
      ctl_in("ctl"),
      ctl("bus_ctl"),
      w("bus"),
      col_mapped("col_mapped"),
      mem_(mem),
      cfg_(cfg),
      col_(col) {
  SC_METHOD(eval);
  sensitive << ctl_in.phase << ctl_in.outer << ctl_in.inner << ctl_in.step;
  SC_METHOD(sample);
  sensitive << clk.pos();
  dont_initialize();
}

void ColFeeder::eval() {
  const CtlState st = ctl_in.read();
  const Slot s = col_feed(*mem_, st, cfg_.rows, cfg_.cols, cfg_.dataflow, col_);
  ctl.write(s.ctl);
  w.write(s.payload);
  col_mapped.write(st.outer * cfg_.cols + col_ < mem_->N);
}

void ColFeeder::sample() {
  cnt_.weight_toggles += static_cast<std::uint64_t>(hamming(prev_, w.read()));
  prev_ = w.read();
}

}  // namespace sparq::hw
