#include "array_controller.h"

#include "array_step.h"

namespace sparq::hw {

ArrayController::ArrayController(sc_core::sc_module_name name, const ControllerFsm& fsm, ArrayStats* stats,
                                 std::vector<char>* phases)
    : sc_core::sc_module(name),
      clk("clk"),
      corner("corner"),
      collector("collector"),
      phase("phase"),
      outer("outer"),
      inner("inner"),
      step("step"),
      load("load"),
      drain("drain"),
      cycle("cycle"),
      fsm_(fsm),
      stats_(stats),
      phases_(phases) {
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void ArrayController::tick() {
  if (done()) return;
  const std::uint8_t corner_ctl = corner.read().ctl;
  const char cls = count_cycle(fsm_, corner_ctl, *stats_);
  if (phases_) phases_->push_back(cls);
  fsm_.clock(corner_ctl, collector.read().ctl);
  const CtlState& s = fsm_.state();
  phase.write(static_cast<int>(s.phase));
  outer.write(s.outer);
  inner.write(s.inner);
  step.write(s.step);
  load.write(s.phase == Phase::Load);
  drain.write(s.phase == Phase::Drain);
  cycle.write(s.cycle);
  // Pause, not stop: a kept array runs the next GEMM after a rebind.
  if (done()) sc_core::sc_pause();
}

}  // namespace sparq::hw
