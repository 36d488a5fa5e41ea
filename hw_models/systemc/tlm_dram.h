// The memory model's DRAM behind a TLM-2.0 socket (docs/memory.md §7): a
// DramBackend that sends every request to a TLM-2.0 target with the
// approximately-timed protocol, so that a SystemC DRAM simulator such as
// DRAMSys can replace the built-in bandwidth/latency model. One array clock
// cycle is 1 ns of simulated time.
//
// Protocol: requests leave in submission order, each at its ready time, at
// most `max_outstanding` in flight (0: unlimited); BEGIN_REQ -> END_REQ (the
// target accepted the data: a write has left the scratchpad, a read's burst
// is on its way) -> BEGIN_RESP (the request completed) -> TLM_COMPLETED.
// transferred(id) / done(id) run the SystemC kernel until request id has
// reached END_REQ / BEGIN_RESP (and no further: sc_pause).
// Construct it, and bind its socket, inside the SystemC context it will run
// in (ScopedSimContext), before the first timing() call.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <unordered_map>
#include <vector>

#include "memory_model.h"

namespace sparq::hw {

class TlmDramBackend : public sc_core::sc_module, public DramBackend {
 public:
  SC_HAS_PROCESS(TlmDramBackend);
  tlm_utils::simple_initiator_socket<TlmDramBackend> socket;

  TlmDramBackend(sc_core::sc_module_name name, int max_outstanding);
  std::uint64_t submit(double ready, std::uint64_t address, std::uint32_t bytes, bool write) override;
  double transferred(std::uint64_t id, double until) override;
  double done(std::uint64_t id) override { return run_until(id, true, -1); }
  double busy_cycles() const override { return busy_; }

 private:
  struct Request {
    double ready = 0, start = 0, transferred = -1, done = -1;
    std::vector<unsigned char> data;
    tlm::tlm_generic_payload trans;
  };
  void issue();  // SC_THREAD
  // Runs the kernel until request id has crossed the interface (or
  // completed), or up to `until` cycles (< 0: no limit); -1 if not there yet.
  double run_until(std::uint64_t id, bool completed, double until);
  void transfer_ended(Request& r, double at);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  // Simulated time in array cycles (1 ns each), exact for whole picoseconds.
  static double cycles(const sc_core::sc_time& t) { return t / sc_core::sc_time(1, sc_core::SC_NS); }
  static double now_cycles() { return cycles(sc_core::sc_time_stamp()); }

  const int q_;
  std::deque<std::unique_ptr<Request>> reqs_;
  std::unordered_map<const tlm::tlm_generic_payload*, std::uint64_t> id_of_;
  std::uint64_t next_ = 0, waiting_ = ~std::uint64_t{0};
  bool waiting_done_ = false;
  int inflight_ = 0;
  double busy_ = 0, last_end_ = 0;
  sc_core::sc_event new_request_, end_request_, response_;
};

}  // namespace sparq::hw
