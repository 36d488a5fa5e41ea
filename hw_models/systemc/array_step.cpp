// The toggle counters are popcounts (as in fast_array.cpp).
#if defined(__x86_64__) && !defined(__POPCNT__)
#pragma GCC target("popcnt")
#endif
#include "array_step.h"

#include "pe_step.h"

namespace sparq::hw {

OutputColumn::OutputColumn(const OperandMemory& mem, const ArrayConfig& cfg, int col)
    : mem_(&mem),
      R_(cfg.rows),
      C_(cfg.cols),
      col_(col),
      inner_folds_(fold_counts(mem, cfg.rows, cfg.cols, cfg.dataflow).second),
      acc_bits_(cfg.acc_bits),
      mask_(width_mask(cfg.acc_bits)),
      acc_(cfg.acc_bits) {
  if (cfg.dataflow == Dataflow::WS) buf_.assign(static_cast<std::size_t>(mem.M), 0);
}

OutputColumn::Write OutputColumn::os_take(int outer, int inner, int j, std::int64_t acc, HwCounters& k,
                                          std::vector<std::int64_t>& out) {
  Write w;
  const int m = inner * R_ + (R_ - 1 - j);
  const int n = outer * C_ + col_;
  if (m >= mem_->M || n >= mem_->N) return w;
  w.m = m;
  w.n = n;
  w.value = acc;
  w.final = true;
  write(out_reg_, w, k, out);
  return w;
}

char count_cycle(const ControllerFsm& fsm, std::uint8_t corner_ctl, ArrayStats& st) {
  const char cls = fsm.cycle_class(corner_ctl);
  switch (cls) {
    case 'L': ++st.weight_load; break;
    case 'F': ++st.fill; break;
    case 'S': ++st.stream; break;
    default: ++st.drain; break;
  }
  return cls;
}

void add_cycle_totals(const ArrayConfig& cfg, std::uint64_t cycles, ArrayStats& st) {
  const std::uint64_t pes = static_cast<std::uint64_t>(cfg.rows) * static_cast<std::uint64_t>(cfg.cols);
  st.cycles += cycles;
  st.pe_cycles_available += pes * cycles;
  st.mult_slots_available += static_cast<std::uint64_t>(multipliers_per_pe(cfg.pe)) * pes * cycles;
}

}  // namespace sparq::hw
