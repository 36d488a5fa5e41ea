#include "array_controller.h"

#include "array_step.h"

namespace sparq::hw {

ArrayController::ArrayController(sc_core::sc_module_name name, const ControllerFsm& fsm, ArrayStats* stats,
                                 std::vector<char>* phases, std::vector<char>* loads)
    : sc_core::sc_module(name),
      clk("clk"),
      corner("corner"),
      collector("collector"),
      phase("phase"),
      outer("outer"),
      inner("inner"),
      step("step"),
      prev_outer("prev_outer"),
      prev_inner("prev_inner"),
      drain_outer("drain_outer"),
      drain_inner("drain_inner"),
      drain_step("drain_step"),
      load("load"),
      drain("drain"),
      cycle("cycle"),
      fsm_(fsm),
      stats_(stats),
      phases_(phases),
      loads_(loads) {
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void ArrayController::tick() {
  if (done()) return;
  const std::uint8_t corner_ctl = corner.read().ctl;
  const char cls = count_cycle(fsm_, corner_ctl, *stats_);
  if (phases_) phases_->push_back(cls);
  if (loads_) loads_->push_back(load.read());
  fsm_.clock(corner_ctl, collector.read().ctl);
  const CtlState& s = fsm_.state();
  phase.write(static_cast<int>(s.phase));
  outer.write(s.outer);
  inner.write(s.inner);
  step.write(s.step);
  prev_outer.write(s.prev_outer);
  prev_inner.write(s.prev_inner);
  drain_outer.write(s.drain_outer);
  drain_inner.write(s.drain_inner);
  drain_step.write(s.drain_step);
  int o, i, j;
  load.write(load_cycle(s, fsm_.geom(), &o, &i, &j));
  drain.write(drain_cycle(s, fsm_.geom(), &o, &i, &j));
  cycle.write(s.cycle);
  // Pause, not stop: a kept array runs the next GEMM after a rebind.
  if (done()) sc_core::sc_pause();
}

}  // namespace sparq::hw
