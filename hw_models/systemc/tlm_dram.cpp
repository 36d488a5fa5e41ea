#include "tlm_dram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sparq::hw {

TlmDramBackend::TlmDramBackend(sc_core::sc_module_name name, int max_outstanding)
    : sc_core::sc_module(name), socket("socket"), q_(max_outstanding) {
  socket.register_nb_transport_bw(this, &TlmDramBackend::nb_transport_bw);
  SC_THREAD(issue);
}

std::uint64_t TlmDramBackend::submit(double ready, std::uint64_t address, std::uint32_t bytes, bool write) {
  auto r = std::make_unique<Request>();
  r->ready = ready;
  r->data.assign(bytes, 0);
  r->trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  r->trans.set_address(address);
  r->trans.set_data_ptr(r->data.data());
  r->trans.set_data_length(bytes);
  r->trans.set_streaming_width(bytes);
  r->trans.set_byte_enable_ptr(nullptr);
  r->trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const std::uint64_t id = reqs_.size();
  id_of_[&r->trans] = id;
  reqs_.push_back(std::move(r));
  new_request_.notify(sc_core::SC_ZERO_TIME);
  return id;
}

double TlmDramBackend::transferred(std::uint64_t id, double until) {
  const double t = run_until(id, false, until);
  return t < 0 || t > until ? std::numeric_limits<double>::infinity() : t;
}

double TlmDramBackend::run_until(std::uint64_t id, bool completed, double until) {
  Request& r = *reqs_.at(id);
  const auto time = [&] { return completed ? r.done : r.transferred; };
  waiting_ = id;
  waiting_done_ = completed;
  while (time() < 0) {
    if (until >= 0 && now_cycles() >= until) break;
    if (!sc_core::sc_pending_activity() && sc_core::sc_get_status() != sc_core::SC_ELABORATION)
      throw std::runtime_error("TLM DRAM: request " + std::to_string(id) + " never completed (the target is stuck)");
    if (until >= 0 && std::isfinite(until))
      sc_core::sc_start(sc_core::sc_time(until, sc_core::SC_NS) - sc_core::sc_time_stamp());
    else
      sc_core::sc_start();
  }
  waiting_ = ~std::uint64_t{0};
  return time();
}

void TlmDramBackend::issue() {
  for (;;) {
    while (next_ >= reqs_.size()) sc_core::wait(new_request_);
    while (q_ > 0 && inflight_ >= q_) sc_core::wait(response_);
    Request& r = *reqs_[next_];
    const sc_core::sc_time at(r.ready, sc_core::SC_NS);
    if (at > sc_core::sc_time_stamp()) sc_core::wait(at - sc_core::sc_time_stamp());
    r.start = now_cycles();
    ++inflight_;
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const tlm::tlm_sync_enum s = socket->nb_transport_fw(r.trans, phase, delay);
    if (s == tlm::TLM_ACCEPTED) {
      while (r.transferred < 0) sc_core::wait(end_request_);
    } else if (s == tlm::TLM_UPDATED && phase == tlm::END_REQ) {
      sc_core::wait(delay);
      transfer_ended(r, now_cycles());
    } else {
      throw std::runtime_error("TLM DRAM: the target answered BEGIN_REQ with an unsupported phase");
    }
    ++next_;
  }
}

// Requests cross the interface one after another (END_REQ before the next
// BEGIN_REQ): the interface was busy from max(BEGIN_REQ, the previous
// END_REQ) to this END_REQ.
void TlmDramBackend::transfer_ended(Request& r, double at) {
  r.transferred = at;
  busy_ += at - std::max(r.start, last_end_);
  last_end_ = at;
}

tlm::tlm_sync_enum TlmDramBackend::nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& phase,
                                                   sc_core::sc_time& delay) {
  Request& r = *reqs_.at(id_of_.at(&t));
  if (phase == tlm::END_REQ) {
    transfer_ended(r, cycles(sc_core::sc_time_stamp() + delay));
    end_request_.notify(delay);
    if (id_of_.at(&t) == waiting_ && !waiting_done_) sc_core::sc_pause();
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    if (r.transferred < 0) {  // END_REQ implied
      transfer_ended(r, cycles(sc_core::sc_time_stamp() + delay));
      end_request_.notify(delay);
    }
    r.done = cycles(sc_core::sc_time_stamp() + delay);
    --inflight_;
    response_.notify(delay);
    if (id_of_.at(&t) == waiting_) sc_core::sc_pause();  // (END_REQ implied: transferred too)
    phase = tlm::END_RESP;
    return tlm::TLM_COMPLETED;
  }
  throw std::runtime_error("TLM DRAM: unexpected phase on the backward path");
}

}  // namespace sparq::hw
