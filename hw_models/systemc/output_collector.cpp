#include "output_collector.h"

namespace sparq::hw {

OutputCollector::OutputCollector(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg,
                                 int col, std::vector<std::int64_t>* out, std::vector<OutputWrite>* log)
    : sc_core::sc_module(name),
      clk("clk"),
      cycle("cycle"),
      ctl_in("ctl"),
      psum("psum"),
      ws_(cfg.dataflow == Dataflow::WS),
      col_(*mem, cfg, col),
      geom_(*mem, cfg),
      out_(out),
      log_(log) {
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void OutputCollector::tick() {
  OutputColumn::Write w;
  if (ws_) {
    const PsumLink& p = psum.read();
    if (!(p.ctl & kValid)) return;
    w = col_.ws_take(p.v, cnt_, *out_);
  } else {
    int outer, inner, j;
    if (!drain_cycle(ctl_in.read(), geom_, &outer, &inner, &j)) return;
    w = col_.os_take(outer, inner, j, psum.read().v, cnt_, *out_);
  }
  if (log_ && w.wrote) log_->push_back(OutputWrite{cycle.read() + 1, w.m, w.n, w.value, w.final});
}

}  // namespace sparq::hw
