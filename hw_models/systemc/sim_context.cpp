#include "sim_context.h"

#include <cstdlib>
#include <systemc>

namespace sparq::hw {

ScopedSimContext::ScopedSimContext() {
  // The SystemC banner would otherwise go to stdout once per process.
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  prev_curr_ = sc_core::sc_curr_simcontext;
  prev_default_ = sc_core::sc_default_global_context;
  ctx_ = new sc_core::sc_simcontext();
  sc_core::sc_curr_simcontext = ctx_;
  sc_core::sc_default_global_context = ctx_;
  // A run ends with sc_pause() (sc_stop() notes are not news either).
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
}

ScopedSimContext::~ScopedSimContext() {
  delete ctx_;
  sc_core::sc_curr_simcontext = prev_curr_;
  sc_core::sc_default_global_context = prev_default_;
}

}  // namespace sparq::hw
