// The memory model with its DRAM behind a TLM-2.0 socket (docs/memory.md §7):
// TlmDramBackend driving a TLM-2.0 approximately-timed target gives the same
// stalls and traffic as the built-in model when the target implements the
// same rules (one bus of B bytes per cycle, first come first served, latency
// L after the transfer). This is the binding a DRAMSys target would use.
#include <gtest/gtest.h>

#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "memory_model.h"
#include "sim_context.h"
#include "tlm_dram.h"

using namespace sparq;
using namespace sparq::hw;

namespace {

// A TLM-2.0 AT target with the built-in model's timing: a request occupies
// the bus for bytes / B cycles from max(its BEGIN_REQ, the bus free) (END_REQ
// when its transfer ends) and completes L cycles later (BEGIN_RESP).
class BusDramTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<BusDramTarget> socket;
  BusDramTarget(sc_core::sc_module_name n, double bytes_per_cycle, double latency)
      : sc_core::sc_module(n), socket("socket"), bw_(bytes_per_cycle), lat_(latency), peq_(this, &BusDramTarget::fire) {
    socket.register_nb_transport_fw(this, &BusDramTarget::nb_transport_fw);
  }

 private:
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase, sc_core::sc_time& delay) {
    if (phase == tlm::BEGIN_REQ) {
      const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
      const sc_core::sc_time start = std::max(now, bus_free_);
      bus_free_ = start + sc_core::sc_time(bw_ > 0 ? t.get_data_length() / bw_ : 0.0, sc_core::SC_NS);
      tlm::tlm_phase end = tlm::END_REQ, resp = tlm::BEGIN_RESP;
      peq_.notify(t, end, bus_free_ - sc_core::sc_time_stamp());
      peq_.notify(t, resp, bus_free_ + sc_core::sc_time(lat_, sc_core::SC_NS) - sc_core::sc_time_stamp());
      return tlm::TLM_ACCEPTED;
    }
    return tlm::TLM_COMPLETED;  // END_RESP
  }
  void fire(tlm::tlm_generic_payload& t, const tlm::tlm_phase& phase) {
    tlm::tlm_phase p = phase;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    if (phase == tlm::BEGIN_RESP) t.set_response_status(tlm::TLM_OK_RESPONSE);
    socket->nb_transport_bw(t, p, d);
  }
  double bw_, lat_;
  sc_core::sc_time bus_free_ = sc_core::SC_ZERO_TIME;
  tlm_utils::peq_with_cb_and_phase<BusDramTarget> peq_;
};

ConvGeometry conv(int H, int W, int cin, int cout, int k, int pad) {
  ConvGeometry g;
  g.H = H, g.W = W, g.C_in = cin, g.C_out = cout, g.KH = g.KW = k;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
  return g;
}

}  // namespace

TEST(TlmDram, SameStallsAndTrafficAsTheBuiltInModel) {
  struct Case {
    ConvGeometry g;
    Dataflow df;
    double bw;
    int latency, outstanding;
    std::uint64_t ifmap, ofmap;
  };
  const std::vector<Case> cases = {
      {conv(9, 9, 8, 12, 3, 1), Dataflow::WS, 2, 0, 0, 0, 0},
      {conv(9, 9, 8, 12, 3, 1), Dataflow::WS, 4, 20, 4, 512, 128},
      {conv(12, 12, 6, 16, 1, 0), Dataflow::OS, 1, 10, 0, 256, 64},
      {conv(7, 7, 16, 8, 3, 0), Dataflow::OS, 8, 50, 2, 0, 0},
  };
  for (const Case& c : cases) {
    MemoryConfig cfg;
    cfg.enabled = true;
    cfg.dram.bytes_per_cycle = c.bw;
    cfg.dram.latency = static_cast<std::uint64_t>(c.latency);
    cfg.dram.max_outstanding = c.outstanding;
    cfg.dram.burst_bytes = 16;
    cfg.ifmap.bytes = c.ifmap;
    cfg.ofmap.bytes = c.ofmap;
    cfg.chunk_steps = 4;
    MemoryArray a;
    a.rows = 4, a.cols = 4, a.dataflow = c.df;
    const MemoryLayer L{c.g, static_cast<std::int64_t>(c.g.H_out()) * c.g.W_out()};
    const MemoryStats want = simulate_memory(cfg, a, L);
    MemoryStats got;
    {
      ScopedSimContext ctx;
      TlmDramBackend dram("dram", c.outstanding);
      BusDramTarget target("target", c.bw, c.latency);
      dram.socket.bind(target.socket);
      got = simulate_memory(cfg, a, L, &dram);
    }
    const std::string what = c.g.describe() + " " + to_string(c.df) + " bw " + std::to_string(c.bw);
    EXPECT_GT(want.stalls(), 0u) << what;
    for (int b = 0; b < 3; ++b) {
      EXPECT_EQ(got.stall[b], want.stall[b]) << what << " " << mem_buffer_name(b);
      EXPECT_EQ(got.dram_read[b], want.dram_read[b]) << what;
      EXPECT_EQ(got.dram_write[b], want.dram_write[b]) << what;
      EXPECT_EQ(got.peak[b], want.peak[b]) << what;
    }
    EXPECT_EQ(got.cycles(), want.cycles()) << what;
    EXPECT_EQ(got.dram_requests, want.dram_requests) << what;
    EXPECT_EQ(got.dram_bus_cycles, want.dram_bus_cycles) << what;
  }
}
