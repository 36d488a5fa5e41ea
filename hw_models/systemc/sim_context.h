// A SystemC simulation context of its own for one elaboration and run
// (SystemC permits one kernel per process; replacing the current context
// lets one process elaborate and simulate many times, one after another).
// Contexts nest: the previous one is current again when this one ends (a
// kept StructuralSession survives a fresh run). Not thread-safe.
#pragma once

namespace sc_core {
class sc_simcontext;
}

namespace sparq::hw {

class ScopedSimContext {
 public:
  ScopedSimContext();
  ~ScopedSimContext();
  ScopedSimContext(const ScopedSimContext&) = delete;
  ScopedSimContext& operator=(const ScopedSimContext&) = delete;

 private:
  sc_core::sc_simcontext* ctx_;
  sc_core::sc_simcontext *prev_curr_, *prev_default_;
};

}  // namespace sparq::hw
