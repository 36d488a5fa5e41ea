// Waveform taps: copy a signal (SignalMirror) or a value computed from
// signals (ComputedMirror) while `window` is set and hold it otherwise, so
// that a VCD of the mirror shows the hardware inside a cycle window only.
#pragma once

#include <functional>
#include <systemc>
#include <utility>
#include <vector>

namespace sparq::hw {

template <class T>
class SignalMirror : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(SignalMirror);
  sc_core::sc_in<T> in;
  sc_core::sc_in<bool> window;
  sc_core::sc_signal<T> out;

  explicit SignalMirror(sc_core::sc_module_name name)
      : sc_core::sc_module(name), in("in"), window("window"), out("out") {
    SC_METHOD(copy);
    sensitive << in << window;
  }

 private:
  void copy() {
    if (window.read()) out.write(in.read());
  }
};

template <class T>
class ComputedMirror : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ComputedMirror);
  sc_core::sc_in<bool> window;
  sc_core::sc_signal<T> out;

  // f is re-evaluated whenever one of `on` is notified.
  ComputedMirror(sc_core::sc_module_name name, std::function<T()> f, const std::vector<const sc_core::sc_event*>& on)
      : sc_core::sc_module(name), window("window"), out("out"), f_(std::move(f)) {
    SC_METHOD(copy);
    for (const sc_core::sc_event* e : on) sensitive << *e;
    sensitive << window;
  }

 private:
  void copy() {
    if (window.read()) out.write(f_());
  }
  std::function<T()> f_;
};

}  // namespace sparq::hw
