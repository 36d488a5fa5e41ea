#include "structural_array.h"

#include <memory>
#include <stdexcept>
#include <systemc>
#include <type_traits>

#include "array_controller.h"
#include "array_step.h"
#include "edge_feeders.h"
#include "os_pe.h"
#include "output_collector.h"
#include "signal_mirror.h"
#include "sim_context.h"
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
  StructuralArray(sc_core::sc_module_name name, const OperandMemory& mem, const ArrayConfig& cfg, const VcdOptions* vcd,
                  ArrayStats* stats, int probe_column)
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
        load_("load", ws_),
        drain_("drain", false),
        window_("trace_window", vcd && vcd->first_cycle == 0),
        cycle_("cycle", 0),
        zero_psum_("zero_psum"),
        a_("a", static_cast<std::size_t>(R_) * (C_ + 1)),
        v_("v", static_cast<std::size_t>(C_) * (R_ + 1)),
        p_("p", static_cast<std::size_t>(C_) * (R_ + 1)),
        col_mapped_("col_mapped", static_cast<std::size_t>(C_)),
        row_feeders_("row_feeder"),
        col_feeders_("col_feeder"),
        collectors_("collector"),
        ws_pes_("ws_pe"),
        os_pes_("os_pe") {
    const bool record = probe_col >= 0;
    activity.cycle = &cycle_;
    out.assign(static_cast<std::size_t>(mem.M) * mem.N, 0);
    const auto folds = fold_counts(mem, R_, C_, cfg.dataflow);
    controller_ = std::make_unique<ArrayController>(
        "controller", ControllerFsm(cfg.dataflow, R_, C_, folds.first, folds.second), vcd ? vcd->first_cycle : 0,
        vcd ? vcd->last_cycle : 0, stats, record ? &phases : nullptr);
    ArrayController& ctl = *controller_;
    ctl.clk(clk_);
    ctl.phase(phase_);
    ctl.outer(outer_);
    ctl.inner(inner_);
    ctl.step(step_);
    ctl.load(load_);
    ctl.drain(drain_);
    ctl.trace_window(window_);
    ctl.cycle(cycle_);
    auto bind_ctl = [&](CtlPorts& p) {
      p.phase(phase_);
      p.outer(outer_);
      p.inner(inner_);
      p.step(step_);
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
          p.load(load_);
          p.col_mapped(col_mapped_[static_cast<std::size_t>(c)]);
        }
    } else {
      os_pes_.init(static_cast<std::size_t>(R_) * C_,
                   [&](const char* nm, std::size_t) { return new OsPe(nm, params_, record ? &activity : nullptr); });
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

  // Opens the waveform: controller state always, the chosen PEs via taps.
  void open_vcd(const VcdOptions& o) {
    // SystemC appends ".vcd" to the name it is given.
    std::string base = o.path;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
    tf_ = sc_core::sc_create_vcd_trace_file(base.c_str());
    if (!tf_) throw std::runtime_error("cannot create VCD file " + o.path);
    // 100 ps resolution: the clock's falling edge sits at half a cycle.
    tf_->set_time_unit(100, sc_core::SC_PS);
    sc_core::sc_trace(tf_, clk_, "clk");
    sc_core::sc_trace(tf_, cycle_, "cycle");
    sc_core::sc_trace(tf_, phase_, "phase");
    sc_core::sc_trace(tf_, outer_, "fold_outer");
    sc_core::sc_trace(tf_, inner_, "fold_inner");
    sc_core::sc_trace(tf_, step_, "step");
    sc_core::sc_trace(tf_, window_, "trace_window");
    std::vector<std::pair<int, int>> pes = o.pes;
    if (pes.empty())
      for (int r = 0; r < R_; ++r)
        for (int c = 0; c < C_; ++c) pes.emplace_back(r, c);
    for (const auto& [r, c] : pes) {
      const std::string p = "pe_" + std::to_string(r) + "_" + std::to_string(c);
      tap(a_[ai(r, c)], p + ".a_in", p + ".a_ctl_in");
      tap(a_[ai(r, c + 1)], p + ".a_reg", p + ".a_ctl_reg");
      if (ws_) {
        const WsPe& pe = ws_pes_[pi(r, c)];
        tap(v_[vi(r + 1, c)], p + ".w_reg", "");
        tap_datapath([&pe] { return pe.datapath_now(); }, {&a_[ai(r, c)], &v_[vi(r + 1, c)]}, p);
        tap(p_[vi(r + 1, c)], p + ".psum_reg", p + ".psum_ctl_reg");
      } else {
        const OsPe& pe = os_pes_[pi(r, c)];
        tap(v_[vi(r, c)], p + ".b_in", p + ".b_ctl_in");
        tap(v_[vi(r + 1, c)], p + ".b_reg", "");
        tap_datapath([&pe] { return pe.datapath_now(); }, {&a_[ai(r, c)], &v_[vi(r, c)]}, p);
        tap(p_[vi(r + 1, c)], p + ".acc_reg", "");
      }
    }
  }

  void close_vcd() {
    if (tf_) sc_core::sc_close_vcd_trace_file(tf_);
    tf_ = nullptr;
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

  const int probe_col;  // column whose collector writes are logged; -1: no probe
  std::vector<std::int64_t> out;
  std::vector<char> phases;
  ActivityLog activity;
  std::vector<OutputWrite> writes;

 private:
  std::size_t ai(int r, int c) const { return static_cast<std::size_t>(r) * (C_ + 1) + c; }
  std::size_t vi(int r, int c) const { return static_cast<std::size_t>(c) * (R_ + 1) + r; }
  std::size_t pi(int r, int c) const { return static_cast<std::size_t>(r) * C_ + c; }

  // A link's payload / value as `name`, its control bits as `ctl_name` (if not empty).
  template <class T>
  void tap(const sc_signal<T>& s, const std::string& name, const std::string& ctl_name) {
    auto m = std::make_unique<SignalMirror<T>>(sc_core::sc_gen_unique_name("tap"));
    m->in(s);
    m->window(window_);
    const T& v = m->out.read();  // the mirror's current value: a stable reference
    if constexpr (std::is_same_v<T, OpLink>)
      sc_core::sc_trace(tf_, v.pay, name);
    else
      sc_core::sc_trace(tf_, v.v, name);
    if (!ctl_name.empty()) sc_core::sc_trace(tf_, v.ctl, ctl_name, 3);
    taps_.push_back(std::move(m));
  }
  template <class F, class T>
  void tap_datapath(F f, std::initializer_list<const sc_signal<T>*> inputs, const std::string& p) {
    std::vector<const sc_core::sc_event*> on;
    for (const auto* s : inputs) on.push_back(&s->value_changed_event());
    auto bits = std::make_unique<ComputedMirror<std::uint32_t>>(
        sc_core::sc_gen_unique_name("tap"), [f] { return f().mult_bits; }, on);
    bits->window(window_);
    sc_core::sc_trace(tf_, bits->out, p + ".mult_inputs");
    auto prod = std::make_unique<ComputedMirror<std::int64_t>>(
        sc_core::sc_gen_unique_name("tap"), [f] { return f().prod; }, on);
    prod->window(window_);
    sc_core::sc_trace(tf_, prod->out, p + ".product");
    taps_.push_back(std::move(bits));
    taps_.push_back(std::move(prod));
  }

  const int R_, C_;
  const bool ws_;
  const DatapathParams params_;  // shared by every PE's datapath
  sc_core::sc_clock clk_;
  sc_signal<int> phase_, outer_, inner_, step_;
  sc_signal<bool> load_, drain_, window_;
  sc_signal<std::uint64_t> cycle_;
  sc_signal<PsumLink> zero_psum_;
  SigVec<OpLink> a_;    // row links: (r, 0) = edge, (r, c+1) = PE(r, c)'s operand register
  SigVec<OpLink> v_;    // column links: (0, c) = edge, (r+1, c) = PE(r, c)'s weight register
  SigVec<PsumLink> p_;  // psum / accumulator links: (r+1, c) = PE(r, c)'s register
  SigVec<bool> col_mapped_;
  sc_vector<RowFeeder> row_feeders_;
  sc_vector<ColFeeder> col_feeders_;
  sc_vector<OutputCollector> collectors_;
  sc_vector<WsPe> ws_pes_;
  sc_vector<OsPe> os_pes_;
  std::unique_ptr<ArrayController> controller_;
  std::vector<std::unique_ptr<sc_core::sc_module>> taps_;
  sc_core::sc_trace_file* tf_ = nullptr;
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

std::vector<std::int64_t> run_structural(const OperandMemory& mem, const ArrayConfig& cfg, ArrayStats& stats,
                                         const VcdOptions* vcd, CycleProbe* probe) {
  if (vcd) check_vcd(*vcd, cfg);
  ScopedSimContext context;
  std::vector<std::int64_t> out;
  {
    auto top = std::make_unique<StructuralArray>("array", mem, cfg, vcd, &stats, probe ? probe->col : -1);
    if (vcd) top->open_vcd(*vcd);
    sc_core::sc_start();
    top->close_vcd();
    if (!top->done()) throw std::logic_error("structural array stopped before the controller finished");
    const std::uint64_t cycles = top->cycles();
    add_cycle_totals(cfg, cycles, stats);
    top->counters().add_to(stats);
    if (probe) {
      probe->samples.assign(cycles + 1, CycleProbe::Sample{});
      for (std::uint64_t t = 0; t < cycles; ++t) {
        probe->samples[t].phase = t < top->phases.size() ? top->phases[t] : '-';
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
