// Waveform dump of the structural array: a VCD writer of our own and a
// sampler that reads the registered probes once per clock cycle, only for the
// cycles inside the requested window, so the window bounds the file. Values
// are those of the cycle ending at the clock edge (signals read before the
// edge's updates); cycle t is written at t ns (timescale 100 ps, the clock
// falls at t + 0.5 ns), a register loaded at the end of cycle t changes at
// t + 1 ns.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace sparq::hw {

// Value-change dump of unsigned bit vectors (signed values: two's complement
// in `width` bits). Variables are declared before the first time stamp.
class VcdWriter {
 public:
  explicit VcdWriter(const std::string& path);  // throws std::filesystem::filesystem_error
  // Declares a variable in scope ("" = the top scope); returns its index.
  int var(const std::string& scope, const std::string& name, int width);
  void time(std::uint64_t t);              // in timescale units (100 ps)
  void set(int var, std::uint64_t value);  // written if it changed (always the first time)
  void close();

 private:
  struct Var {
    std::string scope, name, code;
    int width;
    std::uint64_t value;
    bool written;
  };
  void header();
  std::string path_;
  std::ofstream out_;
  std::vector<Var> vars_;
  bool started_ = false;
};

class VcdTracer : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(VcdTracer);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<std::uint64_t> cycle;  // the controller's cycle counter

  // Cycles first..last (inclusive) are written.
  VcdTracer(sc_core::sc_module_name name, const std::string& path, std::uint64_t first, std::uint64_t last);
  VcdWriter& writer() { return w_; }
  // A group of variables sampled together: read(values) fills one value per
  // variable of vars, in order.
  void probe(std::vector<int> vars, std::function<void(std::uint64_t*)> read);
  // Ends the last sampled cycle and closes the file.
  void finish();

 private:
  struct Probe {
    std::vector<int> vars;
    std::function<void(std::uint64_t*)> read;
  };
  void sample();
  VcdWriter w_;
  std::uint64_t first_, last_;
  int clk_var_, cycle_var_;
  std::vector<Probe> probes_;
  std::vector<std::uint64_t> buf_;
  bool sampled_ = false;
  std::uint64_t last_sampled_ = 0;
};

}  // namespace sparq::hw
