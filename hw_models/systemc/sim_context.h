// A SystemC simulation context of its own for one elaboration and run
// (SystemC permits one kernel per process; replacing the current context
// lets one process elaborate and simulate many times, one after another).
// Not thread-safe: one ScopedSimContext at a time per process.
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
};

}  // namespace sparq::hw
