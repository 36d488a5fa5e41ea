#include "fold_schedule.h"

#include <stdexcept>

namespace sparq {

FoldSchedule::FoldSchedule(Dataflow df, WeightBuffering wb, int rows, int cols, int M, int N, int S)
    : df_(df), wb_(wb), R_(rows), C_(cols), M_(M), N_(N), S_(S) {
  if (R_ < 1 || C_ < 1 || M_ < 1 || N_ < 1 || S_ < 1) throw std::invalid_argument("FoldSchedule: empty GEMM or array");
  outer_ = (N_ + C_ - 1) / C_;
  inner_ = df_ == Dataflow::WS ? (S_ + R_ - 1) / R_ : (M_ + R_ - 1) / R_;
}

// Single buffering (docs/hardware.md "Fold timing"):
//   ws: per fold LOAD (R cycles) then STREAM (M + R + C - 2 cycles: the last
//     slot enters PE(R-1, C-1) in its last cycle); one FLUSH cycle after the
//     last fold, in which the last column's accumulator takes the last slot.
//     PE(R-1, c) holds slot m after stream step R-1+c+m; the accumulator
//     takes it one cycle later.
//   os: per fold STREAM (S + R + C - 2 cycles) then DRAIN (R cycles).
FoldTimes FoldSchedule::fold(int f) const {
  if (f < 0 || f >= folds()) throw std::out_of_range("FoldSchedule::fold");
  FoldTimes t;
  t.outer = f / inner_;
  t.inner = f % inner_;
  const auto R = static_cast<std::uint64_t>(R_), C = static_cast<std::uint64_t>(C_);
  const auto uf = static_cast<std::uint64_t>(f);
  if (wb_ != WeightBuffering::Single) throw std::logic_error("FoldSchedule: double buffering not implemented");
  if (df_ == Dataflow::WS) {
    const std::uint64_t period = 2 * R + C + static_cast<std::uint64_t>(M_) - 2;
    t.wload = uf * period;
    t.stream = t.wload + R;
    t.out = t.stream + R;
  } else {
    const std::uint64_t period = static_cast<std::uint64_t>(S_) + 2 * R + C - 2;
    t.wload = t.stream = uf * period;
    t.out = t.stream + static_cast<std::uint64_t>(S_) + R + C - 2;
  }
  return t;
}

std::uint64_t FoldSchedule::cycles() const {
  const auto R = static_cast<std::uint64_t>(R_), C = static_cast<std::uint64_t>(C_);
  const auto F = static_cast<std::uint64_t>(folds());
  if (df_ == Dataflow::WS) return F * (2 * R + C + static_cast<std::uint64_t>(M_) - 2) + 1;
  return F * (static_cast<std::uint64_t>(S_) + 2 * R + C - 2);
}

}  // namespace sparq
