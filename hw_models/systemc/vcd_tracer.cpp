#include "vcd_tracer.h"

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <stdexcept>

namespace sparq::hw {

namespace {

// VCD identifier code of variable i: printable characters '!'..'~' in base 94.
std::string code(int i) {
  std::string s;
  do {
    s.push_back(static_cast<char>('!' + i % 94));
    i /= 94;
  } while (i > 0);
  return s;
}

std::uint64_t masked(std::uint64_t v, int width) {
  return width >= 64 ? v : v & ((std::uint64_t{1} << width) - 1u);
}

}  // namespace

VcdWriter::VcdWriter(const std::string& path) : path_(path), out_(path) {
  if (!out_)
    throw std::filesystem::filesystem_error("cannot create the waveform file", path,
                                            std::error_code(errno ? errno : EIO, std::generic_category()));
}

int VcdWriter::var(const std::string& scope, const std::string& name, int width) {
  if (started_) throw std::logic_error("VCD variable " + name + " declared after the first time stamp");
  vars_.push_back(Var{scope, name, code(static_cast<int>(vars_.size())), width, 0, false});
  return static_cast<int>(vars_.size()) - 1;
}

// Top scope "array", one nested scope per distinct scope name (in order of
// first declaration).
void VcdWriter::header() {
  out_ << "$version sparq-sim $end\n$timescale 100 ps $end\n$scope module array $end\n";
  std::vector<std::string> scopes;
  for (const Var& v : vars_) {
    bool known = false;
    for (const auto& s : scopes) known = known || s == v.scope;
    if (!known) scopes.push_back(v.scope);
  }
  for (const auto& s : scopes) {
    if (!s.empty()) out_ << "$scope module " << s << " $end\n";
    for (const Var& v : vars_)
      if (v.scope == s) out_ << "$var wire " << v.width << " " << v.code << " " << v.name << " $end\n";
    if (!s.empty()) out_ << "$upscope $end\n";
  }
  out_ << "$upscope $end\n$enddefinitions $end\n";
  started_ = true;
}

void VcdWriter::time(std::uint64_t t) {
  if (!started_) header();
  out_ << '#' << t << '\n';
}

void VcdWriter::set(int i, std::uint64_t value) {
  Var& v = vars_[static_cast<std::size_t>(i)];
  value = masked(value, v.width);
  if (v.written && v.value == value) return;
  v.value = value;
  v.written = true;
  if (v.width == 1) {
    out_ << (value ? '1' : '0') << v.code << '\n';
    return;
  }
  out_ << 'b';
  int top = 63;
  while (top > 0 && !((value >> top) & 1u)) --top;
  for (int b = top; b >= 0; --b) out_ << (((value >> b) & 1u) ? '1' : '0');
  out_ << ' ' << v.code << '\n';
}

// A write that failed (a full disk, the file-size limit) is an error naming
// the file, not a waveform silently cut short.
void VcdWriter::close() {
  if (!started_) header();
  out_.flush();
  const bool failed = out_.fail();
  out_.close();
  if (failed || out_.fail())
    throw std::filesystem::filesystem_error("writing the waveform failed (disk full or file-size limit?)", path_,
                                            std::error_code(EIO, std::generic_category()));
}

VcdTracer::VcdTracer(sc_core::sc_module_name name, const std::string& path, std::uint64_t first, std::uint64_t last)
    : sc_core::sc_module(name),
      clk("clk"),
      cycle("cycle"),
      w_(path),
      first_(first),
      last_(last),
      clk_var_(w_.var("", "clk", 1)),
      cycle_var_(w_.var("", "cycle", 64)) {
  SC_METHOD(sample);
  sensitive << clk.pos();
  dont_initialize();
}

void VcdTracer::probe(std::vector<int> vars, std::function<void(std::uint64_t*)> read) {
  if (vars.size() > buf_.size()) buf_.resize(vars.size());
  probes_.push_back(Probe{std::move(vars), std::move(read)});
}

void VcdTracer::sample() {
  const std::uint64_t t = cycle.read();
  if (t < first_ || t > last_) return;
  w_.time(10 * t);
  w_.set(clk_var_, 1);
  w_.set(cycle_var_, t);
  for (const Probe& p : probes_) {
    p.read(buf_.data());
    for (std::size_t i = 0; i < p.vars.size(); ++i) w_.set(p.vars[i], buf_[i]);
  }
  w_.time(10 * t + 5);
  w_.set(clk_var_, 0);
  sampled_ = true;
  last_sampled_ = t;
}

void VcdTracer::finish() {
  if (sampled_) w_.time(10 * (last_sampled_ + 1));
  w_.close();
}

}  // namespace sparq::hw
