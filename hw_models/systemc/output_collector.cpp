#include "output_collector.h"

namespace sparq::hw {

OutputCollector::OutputCollector(sc_core::sc_module_name name, const OperandMemory* mem, const ArrayConfig& cfg,
                                 int col, std::vector<std::int64_t>* out, std::vector<OutputWrite>* log)
    : sc_core::sc_module(name),
      clk("clk"),
      cycle("cycle"),
      ctl_in("ctl"),
      psum_ctl("psum_ctl"),
      psum("psum"),
      mem_(mem),
      cfg_(cfg),
      col_(col),
      inner_folds_(fold_counts(*mem, cfg.rows, cfg.cols, cfg.dataflow).second),
      mask_(width_mask(cfg.acc_bits)),
      out_(out),
      log_(log) {
  if (cfg.dataflow == Dataflow::WS) buf_.assign(static_cast<std::size_t>(mem->M), 0);
  SC_METHOD(tick);
  sensitive << clk.pos();
  dont_initialize();
}

void OutputCollector::write(std::int64_t& reg, std::int64_t v, int m, int n, bool final) {
  cnt_.acc_toggles += static_cast<std::uint64_t>(
      hamming(static_cast<std::uint64_t>(reg) & mask_, static_cast<std::uint64_t>(v) & mask_));
  reg = v;
  ++cnt_.reg_writes;
  ++cnt_.psum_writes;
  if (final) (*out_)[static_cast<std::size_t>(m) * mem_->N + n] = v;
  if (log_) log_->push_back(OutputWrite{cycle.read() + 1, m, n, v, final});
}

void OutputCollector::tick() {
  if (cfg_.dataflow == Dataflow::WS) {
    if (!(psum_ctl.read() & kValid)) return;
    const int kf = fold_ % inner_folds_, nf = fold_ / inner_folds_;
    const int n = nf * cfg_.cols + col_;
    if (n < mem_->N) {
      std::int64_t& e = buf_[static_cast<std::size_t>(m_)];
      std::int64_t v = psum.read();
      if (kf != 0) {
        bool ovf = false;
        v = wrapped_add(e, v, cfg_.acc_bits, &ovf);
        cnt_.overflows += ovf;
      }
      write(e, v, m_, n, kf == inner_folds_ - 1);
    }
    if (++m_ == mem_->M) {
      m_ = 0;
      ++fold_;
    }
    return;
  }
  const CtlState s = ctl_in.read();
  if (s.phase != Phase::Drain) return;
  const int m = s.inner * cfg_.rows + (cfg_.rows - 1 - s.step);
  const int n = s.outer * cfg_.cols + col_;
  if (m < mem_->M && n < mem_->N) write(out_reg_, psum.read(), m, n, true);
}

}  // namespace sparq::hw
