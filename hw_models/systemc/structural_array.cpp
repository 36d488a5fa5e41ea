#include "structural_array.h"

#include <memory>
#include <stdexcept>
#include <systemc>

#include "array_controller.h"
#include "array_step.h"
#include "edge_feeders.h"
#include "os_pe.h"
#include "output_collector.h"
#include "sim_context.h"
#include "vcd_tracer.h"
#include "ws_pe.h"

namespace sparq::hw {

namespace {

using sc_core::sc_signal;
using sc_core::sc_vector;

template <class T>
using SigVec = sc_vector<sc_signal<T>>;

// The top module: every register of the array and its edges. Signals only
// between PEs and at the array edges, one per link (links.h).
class StructuralArray : public sc_core::sc_module {
 public:
  StructuralArray(sc_core::sc_module_name name, const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats* stats,
                  int probe_column)
      : sc_core::sc_module(name),
        probe_col(probe_column),
        R_(cfg.rows),
        C_(cfg.cols),
        ws_(cfg.dataflow == Dataflow::WS),
        params_(cfg, mem.signed_act),
        clk_("clk", sc_core::sc_time(1, sc_core::SC_NS), 0.5, sc_core::sc_time(1, sc_core::SC_NS), true),
        phase_("phase", static_cast<int>(ws_ ? Phase::Load : Phase::Stream)),
        outer_("outer", 0),
        inner_("inner", 0),
        step_("step", 0),
        prev_outer_("prev_outer", -1),
        prev_inner_("prev_inner", 0),
        drain_outer_("drain_outer", -1),
        drain_inner_("drain_inner", 0),
        drain_step_("drain_step", 0),
        load_("load", ws_),
        drain_("drain", false),
        cycle_("cycle", 0),
        zero_psum_("zero_psum"),
        a_("a", static_cast<std::size_t>(R_) * (C_ + 1)),
        v_("v", static_cast<std::size_t>(C_) * (R_ + 1)),
        p_("p", static_cast<std::size_t>(C_) * (R_ + 1)),
        x_("x", static_cast<std::size_t>(R_) * C_),
        xw_("xw", static_cast<std::size_t>(R_) * C_),
        col_mapped_("col_mapped", static_cast<std::size_t>(C_)),
        row_feeders_("row_feeder"),
        col_feeders_("col_feeder"),
        collectors_("collector"),
        ws_pes_("ws_pe"),
        os_pes_("os_pe") {
    const bool record = probe_col >= 0;
    activity.cycle = &cycle_;
    out.assign(static_cast<std::size_t>(mem.M) * mem.N, 0);
    controller_ = std::make_unique<ArrayController>("controller", ControllerFsm(FoldGeom(mem, cfg)), stats,
                                                    record ? &phases : nullptr, record ? &loads : nullptr);
    ArrayController& ctl = *controller_;
    ctl.clk(clk_);
    ctl.phase(phase_);
    ctl.outer(outer_);
    ctl.inner(inner_);
    ctl.step(step_);
    ctl.prev_outer(prev_outer_);
    ctl.prev_inner(prev_inner_);
    ctl.drain_outer(drain_outer_);
    ctl.drain_inner(drain_inner_);
    ctl.drain_step(drain_step_);
    ctl.load(load_);
    ctl.drain(drain_);
    ctl.cycle(cycle_);
    auto bind_ctl = [&](CtlPorts& p) {
      p.phase(phase_);
      p.outer(outer_);
      p.inner(inner_);
      p.step(step_);
      p.prev_outer(prev_outer_);
      p.prev_inner(prev_inner_);
      p.drain_outer(drain_outer_);
      p.drain_inner(drain_inner_);
      p.drain_step(drain_step_);
    };

    // Row edge: feeders (with the edge encoders for edge LOD) drive link 0 of each row.
    row_feeders_.init(static_cast<std::size_t>(R_),
                      [&](const char* nm, std::size_t r) { return new RowFeeder(nm, &mem, cfg, static_cast<int>(r)); });
    for (int r = 0; r < R_; ++r) {
      RowFeeder& f = row_feeders_[static_cast<std::size_t>(r)];
      f.clk(clk_);
      bind_ctl(f.ctl_in);
      f.out(a_[ai(r, 0)]);
    }
    // Column edge: feeders drive link 0 of each column (weights).
    col_feeders_.init(static_cast<std::size_t>(C_),
                      [&](const char* nm, std::size_t c) { return new ColFeeder(nm, &mem, cfg, static_cast<int>(c)); });
    for (int c = 0; c < C_; ++c) {
      ColFeeder& f = col_feeders_[static_cast<std::size_t>(c)];
      f.clk(clk_);
      bind_ctl(f.ctl_in);
      f.out(v_[vi(0, c)]);
      f.col_mapped(col_mapped_[static_cast<std::size_t>(c)]);
    }

    if (ws_) {
      ws_pes_.init(static_cast<std::size_t>(R_) * C_, [&](const char* nm, std::size_t i) {
        return new WsPe(nm, params_, i < static_cast<std::size_t>(C_), record ? &activity : nullptr);
      });
      for (int r = 0; r < R_; ++r)
        for (int c = 0; c < C_; ++c) {
          WsPe& p = ws_pes_[pi(r, c)];
          p.clk(clk_);
          p.a_in(a_[ai(r, c)]);
          p.a_out(a_[ai(r, c + 1)]);
          p.psum_in(r == 0 ? zero_psum_ : p_[vi(r, c)]);
          p.psum_out(p_[vi(r + 1, c)]);
          p.w_in(v_[vi(r, c)]);
          p.w_out(v_[vi(r + 1, c)]);
          p.w_act(xw_[pi(r, c)]);
          p.load(load_);
          p.col_mapped(col_mapped_[static_cast<std::size_t>(c)]);
        }
    } else {
      os_pes_.init(static_cast<std::size_t>(R_) * C_, [&](const char* nm, std::size_t i) {
        return new OsPe(nm, params_, i < static_cast<std::size_t>(C_), record ? &activity : nullptr);
      });
      for (int r = 0; r < R_; ++r)
        for (int c = 0; c < C_; ++c) {
          OsPe& p = os_pes_[pi(r, c)];
          p.clk(clk_);
          p.a_in(a_[ai(r, c)]);
          p.a_out(a_[ai(r, c + 1)]);
          p.b_in(v_[vi(r, c)]);
          p.b_out(v_[vi(r + 1, c)]);
          p.drain(drain_);
          p.acc_in(r == 0 ? zero_psum_ : p_[vi(r, c)]);
          p.acc_out(p_[vi(r + 1, c)]);
          p.acc_reg(x_[pi(r, c)]);
        }
    }
    // The corner PE's operand input; the last column's accumulator input.
    ctl.corner(a_[ai(R_ - 1, C_ - 1)]);
    ctl.collector(ws_ ? p_[vi(R_, C_ - 1)] : zero_psum_);

    collectors_.init(static_cast<std::size_t>(C_), [&](const char* nm, std::size_t c) {
      const bool probed = record && static_cast<int>(c) == probe_col;
      return new OutputCollector(nm, &mem, cfg, static_cast<int>(c), &out, probed ? &writes : nullptr);
    });
    for (int c = 0; c < C_; ++c) {
      OutputCollector& k = collectors_[static_cast<std::size_t>(c)];
      k.clk(clk_);
      k.cycle(cycle_);
      bind_ctl(k.ctl_in);
      k.psum(p_[vi(R_, c)]);
    }
  }

  // Opens the waveform: the controller's state and, per chosen PE, its
  // registers, inputs and datapath decisions, packed fields split.
  void open_vcd(const VcdOptions& o) {
    std::string path = o.path;
    if (path.size() < 4 || path.compare(path.size() - 4, 4, ".vcd") != 0) path += ".vcd";
    tracer_ = std::make_unique<VcdTracer>("vcd", path, o.first_cycle, o.last_cycle);
    tracer_->clk(clk_);
    tracer_->cycle(cycle_);
    add_probe("", [this](const auto& f) {
      f("phase", 3, static_cast<std::uint64_t>(phase_.read()));
      f("fold_outer", 32, static_cast<std::uint64_t>(outer_.read()));
      f("fold_inner", 32, static_cast<std::uint64_t>(inner_.read()));
      f("step", 32, static_cast<std::uint64_t>(step_.read()));
    });
    std::vector<std::pair<int, int>> pes = o.pes;
    if (pes.empty())
      for (int r = 0; r < R_; ++r)
        for (int c = 0; c < C_; ++c) pes.emplace_back(r, c);
    for (const auto& [r, c] : pes)
      add_probe("pe_" + std::to_string(r) + "_" + std::to_string(c),
                [this, r = r, c = c](const auto& f) { visit_pe(r, c, f); });
  }

  void close_vcd() {
    if (tracer_) tracer_->finish();
  }

  HwCounters counters() const {
    HwCounters h;
    for (const auto& f : row_feeders_) h.merge(f.counters());
    for (const auto& f : col_feeders_) h.merge(f.counters());
    for (const auto& k : collectors_) h.merge(k.counters());
    for (const auto& p : ws_pes_) h.merge(p.counters());
    for (const auto& p : os_pes_) h.merge(p.counters());
    return h;
  }
  std::uint64_t cycles() const { return cycle_.read(); }
  bool done() const { return controller_->done(); }

  // The next GEMM on this elaborated array (StructuralSession): the same
  // array configuration and activation signedness, another operand memory.
  // Every register, counter and link goes back to its reset value; the
  // controller starts the new GEMM's folds at the next clock edge.
  void rebind(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats* stats) {
    out.assign(static_cast<std::size_t>(mem.M) * mem.N, 0);
    controller_->rebind(ControllerFsm(FoldGeom(mem, cfg)), stats);
    for (auto& f : row_feeders_) f.rebind(&mem);
    for (auto& f : col_feeders_) f.rebind(&mem);
    for (int c = 0; c < C_; ++c) collectors_[static_cast<std::size_t>(c)].rebind(mem, cfg, c, &out);
    for (auto& p : ws_pes_) p.reset();
    for (auto& p : os_pes_) p.reset();
    phase_.write(static_cast<int>(ws_ ? Phase::Load : Phase::Stream));
    outer_.write(0);
    inner_.write(0);
    step_.write(0);
    prev_outer_.write(-1);
    prev_inner_.write(0);
    drain_outer_.write(-1);
    drain_inner_.write(0);
    drain_step_.write(0);
    load_.write(ws_);
    drain_.write(false);
    cycle_.write(0);
    for (auto& s : a_) s.write(OpLink{});
    for (auto& s : v_) s.write(OpLink{});
    for (auto& s : p_) s.write(PsumLink{});
    for (auto& s : x_) s.write(PsumLink{});
    for (auto& s : xw_) s.write(OpLink{});
    for (auto& s : col_mapped_) s.write(false);
  }

  const int probe_col;  // column whose collector writes are logged; -1: no probe
  std::vector<std::int64_t> out;
  std::vector<char> phases, loads;
  ActivityLog activity;
  std::vector<OutputWrite> writes;

 private:
  std::size_t ai(int r, int c) const { return static_cast<std::size_t>(r) * (C_ + 1) + c; }
  std::size_t vi(int r, int c) const { return static_cast<std::size_t>(c) * (R_ + 1) + r; }
  std::size_t pi(int r, int c) const { return static_cast<std::size_t>(r) * C_ + c; }

  // Declares the variables `visit` names (visit(f) calls f(name, width,
  // value) for each, in a fixed order) and samples them once per cycle.
  template <class Visit>
  void add_probe(const std::string& scope, Visit visit) {
    VcdWriter& w = tracer_->writer();
    std::vector<int> vars;
    visit([&](const std::string& name, int width, std::uint64_t) { vars.push_back(w.var(scope, name, width)); });
    tracer_->probe(std::move(vars), [visit](std::uint64_t* dst) {
      visit([&dst](const std::string&, int, std::uint64_t v) { *dst++ = v; });
    });
  }

  // What a waveform shows of PE(r, c), read from the signals around it:
  // control words as bits, operands and weight pairs as their fields (edge
  // LOD: the encoding's mode, windows and shifts), and the SPARQ decisions.
  template <class F>
  void visit_pe(int r, int c, const F& f) const {
    const bool pairs = params_.pairs;
    auto ctl = [&](const std::string& p, std::uint8_t x) {
      f(p + "_valid", 1, x & kValid);
      f(p + "_en", 1, (x & kEn) >> 1);
      f(p + "_last", 1, (x & kLast) >> 2);
    };
    auto operand = [&](const std::string& p, std::uint32_t x) {
      if (!pairs) {
        f(p, 8, x & 0xFFu);
      } else if (!params_.edge) {
        f(p + "_a1", 8, x & 0xFFu);
        f(p + "_a2", 8, (x >> 8) & 0xFFu);
      } else {
        const EncodedPair e = unpack_encoded(x, params_.pe);
        f(p + "_mode", 2, static_cast<std::uint64_t>(e.mode));
        f(p + "_v0", 8, e.lane[0].v);
        f(p + "_shift0", 4, e.lane[0].s);
        f(p + "_v1", 8, e.lane[1].v);
        f(p + "_shift1", 4, e.lane[1].s);
      }
    };
    auto weights = [&](const std::string& p, std::uint32_t x) {
      if (!pairs) {
        f(p, 8, x & 0xFFu);
      } else {
        f(p + "_w1", 8, x & 0xFFu);
        f(p + "_w2", 8, (x >> 8) & 0xFFu);
      }
    };
    const OpLink a_in = a_[ai(r, c)].read(), a_reg = a_[ai(r, c + 1)].read();
    ctl("a_in", a_in.ctl);
    operand("a_in", a_in.pay);
    ctl("a_reg", a_reg.ctl);
    operand("a_reg", a_reg.pay);
    const PsumLink psum = p_[vi(r + 1, c)].read();
    DatapathTrace d;
    std::uint32_t mult_w = 0;
    if (ws_) {
      // Double buffering: the shadow register's link, the active register's,
      // and the multiplier takes the shadow weight with the fold's first slot.
      const std::uint32_t reg = (params_.dbl ? xw_[pi(r, c)] : v_[vi(r + 1, c)]).read().pay;
      mult_w = params_.dbl && (a_in.ctl & kFirst) ? v_[vi(r + 1, c)].read().pay : reg;
      weights("w_reg", reg);
      if (params_.dbl) weights("w_shadow", v_[vi(r + 1, c)].read().pay);
      f("psum_valid", 1, psum.ctl & kValid);
      f("psum_last", 1, (psum.ctl & kLast) >> 2);
      f("psum_reg", params_.acc_bits, static_cast<std::uint64_t>(psum.v));
      d = ws_pes_[pi(r, c)].datapath_trace(mult_w);
    } else {
      const OpLink b_in = v_[vi(r, c)].read();
      mult_w = b_in.pay;
      ctl("b_in", b_in.ctl);
      weights("b_in", b_in.pay);
      weights("b_reg", v_[vi(r + 1, c)].read().pay);
      // Double buffering: the accumulator's link, and the output register's.
      f("acc_reg", params_.acc_bits, static_cast<std::uint64_t>((params_.dbl ? x_[pi(r, c)].read() : psum).v));
      if (params_.dbl) f("out_reg", params_.acc_bits, static_cast<std::uint64_t>(psum.v));
      d = os_pes_[pi(r, c)].datapath_trace();
    }
    // The SPARQ decisions: the pair mode, both lanes' windows (value, shift)
    // out of the front end, and what each multiplier takes.
    if (pairs) {
      f("pair_mode", 2, static_cast<std::uint64_t>(d.enc.mode));
      for (std::size_t l = 0; l < 2; ++l) {
        const std::string n = std::to_string(l);
        f("enc" + n + "_v", 8, d.enc.lane[l].v);
        f("enc" + n + "_shift", 4, d.enc.lane[l].s);
      }
      for (std::size_t l = 0; l < 2; ++l) {
        const std::string n = std::to_string(l);
        f("mult" + n + "_v", 8, d.mult.lane[l].v);
        f("mult" + n + "_shift", 4, d.mult.lane[l].s);
        f("mult" + n + "_w", 8, static_cast<std::uint8_t>(d.mult.w[l]));
        f("mult" + n + "_wsel", 1, d.wsel[l]);
      }
    } else {
      f("mult_a", 8, a_in.pay & 0xFFu);
      f("mult_w", 8, mult_w & 0xFFu);
    }
    f("product", 32, static_cast<std::uint64_t>(d.prod));
  }

  const int R_, C_;
  const bool ws_;
  const DatapathParams params_;  // shared by every PE's datapath
  sc_core::sc_clock clk_;
  sc_signal<int> phase_, outer_, inner_, step_, prev_outer_, prev_inner_, drain_outer_, drain_inner_, drain_step_;
  sc_signal<bool> load_, drain_;
  sc_signal<std::uint64_t> cycle_;
  sc_signal<PsumLink> zero_psum_;
  SigVec<OpLink> a_;    // row links: (r, 0) = edge, (r, c+1) = PE(r, c)'s operand register
  SigVec<OpLink> v_;    // column links: (0, c) = edge, (r+1, c) = PE(r, c)'s weight register
  SigVec<PsumLink> p_;  // psum / accumulator links: (r+1, c) = PE(r, c)'s register (os double: output register)
  SigVec<PsumLink> x_;  // os double buffering: PE(r, c)'s accumulator (waveforms)
  SigVec<OpLink> xw_;   // ws double buffering: PE(r, c)'s active weight register (waveforms)
  SigVec<bool> col_mapped_;
  sc_vector<RowFeeder> row_feeders_;
  sc_vector<ColFeeder> col_feeders_;
  sc_vector<OutputCollector> collectors_;
  sc_vector<WsPe> ws_pes_;
  sc_vector<OsPe> os_pes_;
  std::unique_ptr<ArrayController> controller_;
  std::unique_ptr<VcdTracer> tracer_;
};

void check_vcd(const VcdOptions& o, const ArrayConfig& cfg) {
  if (o.path.empty()) throw std::invalid_argument("VCD path is empty");
  if (o.first_cycle > o.last_cycle) throw std::invalid_argument("VCD first_cycle is after last_cycle");
  for (const auto& [r, c] : o.pes)
    if (r < 0 || r >= cfg.rows || c < 0 || c >= cfg.cols)
      throw std::invalid_argument("VCD PE (" + std::to_string(r) + ", " + std::to_string(c) + ") is outside the " +
                                  std::to_string(cfg.rows) + "x" + std::to_string(cfg.cols) + " array");
}

}  // namespace

namespace {

// Runs top (elaborated, rebound or fresh) to the end of its GEMM and adds
// its cycles and counts to stats.
void finish_run(StructuralArray& top, const ArrayConfig& cfg, ArrayStats& stats) {
  sc_core::sc_start();
  top.close_vcd();
  if (!top.done()) throw std::logic_error("structural array stopped before the controller finished");
  add_cycle_totals(cfg, top.cycles(), stats);
  top.counters().add_to(stats);
}

bool same_array(const ArrayConfig& a, const ArrayConfig& b) {
  return a.rows == b.rows && a.cols == b.cols && a.dataflow == b.dataflow && a.lod == b.lod && a.pe == b.pe &&
         a.acc_bits == b.acc_bits && a.weight_buffering == b.weight_buffering;
}

}  // namespace

struct StructuralSession::Impl {
  std::unique_ptr<ScopedSimContext> context;  // declared first: outlives the array
  std::unique_ptr<StructuralArray> top;
  ArrayConfig cfg;
  bool signed_act = false;
  std::uint64_t elaborations = 0;
};

StructuralSession::StructuralSession() : impl_(std::make_unique<Impl>()) {}
StructuralSession::~StructuralSession() = default;
std::uint64_t StructuralSession::elaborations() const {
  return impl_->elaborations;
}

std::vector<std::int64_t> run_structural(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                         const VcdOptions* vcd, CycleProbe* probe, StructuralSession* session) {
  if (vcd) check_vcd(*vcd, cfg);
  if (session && !vcd && !probe) {
    StructuralSession::Impl& s = session->impl();
    if (s.top && same_array(s.cfg, cfg) && s.signed_act == mem.signed_act) {
      s.top->rebind(mem, cfg, &stats);
    } else {
      s.top.reset();
      s.context.reset();
      s.context = std::make_unique<ScopedSimContext>();
      s.top = std::make_unique<StructuralArray>("array", mem, cfg, &stats, -1);
      s.cfg = cfg;
      s.signed_act = mem.signed_act;
      ++s.elaborations;
    }
    finish_run(*s.top, cfg, stats);
    return std::move(s.top->out);
  }
  ScopedSimContext context;
  std::vector<std::int64_t> out;
  {
    auto top = std::make_unique<StructuralArray>("array", mem, cfg, &stats, probe ? probe->col : -1);
    if (vcd) top->open_vcd(*vcd);
    finish_run(*top, cfg, stats);
    const std::uint64_t cycles = top->cycles();
    if (probe) {
      probe->samples.assign(cycles + 1, CycleProbe::Sample{});
      for (std::uint64_t t = 0; t < cycles; ++t) {
        probe->samples[t].phase = t < top->phases.size() ? top->phases[t] : '-';
        probe->samples[t].load = t < top->loads.size() && top->loads[t];
        probe->samples[t].active_pes = t < top->activity.active.size() ? top->activity.active[t] : 0;
      }
      CycleProbe::Sample held;
      std::size_t w = 0;
      for (std::uint64_t t = 0; t <= cycles; ++t) {
        bool valid = false;
        while (w < top->writes.size() && top->writes[w].visible_cycle == t) {
          const OutputWrite& x = top->writes[w++];
          held.m = x.m;
          held.n = x.n;
          held.value = x.value;
          held.final = x.final;
          valid = true;
        }
        auto& s = probe->samples[t];
        s.out_valid = valid;
        s.final = held.final;
        s.m = held.m;
        s.n = held.n;
        s.value = held.value;
      }
    }
    out = std::move(top->out);
  }
  return out;
}

}  // namespace sparq::hw
