// Waveform tap: copies a signal while `window` is set and holds it otherwise,
// so that a VCD of the mirror shows the hardware inside a cycle window only.
#pragma once

#include <systemc>

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

}  // namespace sparq::hw
