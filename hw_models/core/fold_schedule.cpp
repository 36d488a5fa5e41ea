#include "fold_schedule.h"

#include <algorithm>
#include <stdexcept>

namespace sparq {

FoldSchedule::FoldSchedule(Dataflow df, WeightBuffering wb, int rows, int cols, int M, int N, int S)
    : df_(df), wb_(wb), R_(rows), C_(cols), M_(M), N_(N), S_(S) {
  if (R_ < 1 || C_ < 1 || M_ < 1 || N_ < 1 || S_ < 1) throw std::invalid_argument("FoldSchedule: empty GEMM or array");
  outer_ = (N_ + C_ - 1) / C_;
  inner_ = df_ == Dataflow::WS ? (S_ + R_ - 1) / R_ : (M_ + R_ - 1) / R_;
}

// Slots per row per fold: ws the M output rows, os the S reduction steps.
std::uint64_t FoldSchedule::slots() const {
  return static_cast<std::uint64_t>(df_ == Dataflow::WS ? M_ : S_);
}

// Double buffering: the stream-start to stream-start distance of two folds
// (docs/hardware.md "Weight buffering"), the smallest that keeps every bus
// and register chain correct:
//   Bus: row r's bus carries fold f's slot i at stream_f + r + i, so the
//     next fold's slot 0 can follow the last one: P >= slots.
//   ws shadow chain: PE(r, c) takes its shadow weight in cycle
//     stream_f + r + c (the fold's first slot reaches it: the multiplier takes
//     the shadow, the active register takes it at the edge). The broadcast
//     load shifts every shadow register of every column at the end of each
//     load cycle, so the next load's first cycle can be the corner's swap
//     cycle, stream_f + R + C - 2, at the earliest; its R-th shift ends
//     R cycles later, when the next fold's slot 0 may enter row 0:
//     P >= 2R + C - 2.  P = max(M, 2R + C - 2).
//   os output chain: PE(r, c) captures its result (output register <=
//     accumulator + last product, accumulator <= 0) at the end of cycle
//     e_r = stream_f + r + c + S - 1. The output registers of rows 1..R-1
//     shift down (row 0 holds) at the end of the R drain cycles
//     out_f + j, out_f = stream_f + S + R + C - 2 (after the corner's last
//     MAC); the collector takes row R-1-j in cycle out_f + j, so output
//     register q holds a needed value until it passes row 0's result on,
//     at the end of out_f + q. A capture wins over a shift into the same
//     register at the same edge. Row 0 (never shifted into) may capture the
//     next fold's result from the end of out_f on: P >= R + C - 1; a row
//     q >= 1 captured before the last drain edge would be shifted further
//     down, so it captures at the last drain edge, out_f + R - 1, or later:
//     e_1 of column 0 gives P >= 2R + C - 3 (R >= 2).
//     P = max(S, R + C - 1, 2R + C - 3).
std::uint64_t FoldSchedule::period() const {
  const auto R = static_cast<std::uint64_t>(R_), C = static_cast<std::uint64_t>(C_);
  if (wb_ == WeightBuffering::Single) return slots() + 2 * R + C - 2;  // both dataflows
  if (df_ == Dataflow::WS) return std::max(slots(), 2 * R + C - 2);
  return std::max({slots(), R + C - 1, 2 * R + C - 3});
}

// Single buffering (docs/hardware.md §4):
//   ws: per fold LOAD (R cycles) then STREAM (M + R + C - 2 cycles: the last
//     slot enters PE(R-1, C-1) in its last cycle); one FLUSH cycle after the
//     last fold, in which the last column's accumulator takes the last slot.
//     PE(R-1, c) holds slot m after stream step R-1+c+m; the accumulator
//     takes it one cycle later.
//   os: per fold STREAM (S + R + C - 2 cycles) then DRAIN (R cycles).
// Double buffering: fold f streams from stream_0 + f * period() (above);
//   ws: stream_0 = R (fold 0 loads first, into the shadow registers); fold
//     f >= 1 loads from the corner's swap cycle of fold f - 1,
//     stream_{f-1} + R + C - 2, which is R cycles before stream_f when the
//     chain bounds the period and earlier when the bus does.
//   os: stream_0 = 0; out as for single buffering (the drain starts after
//     the corner's last MAC, while the next fold streams).
FoldTimes FoldSchedule::fold(int f) const {
  if (f < 0 || f >= folds()) throw std::out_of_range("FoldSchedule::fold");
  FoldTimes t;
  t.outer = f / inner_;
  t.inner = f % inner_;
  const auto R = static_cast<std::uint64_t>(R_), C = static_cast<std::uint64_t>(C_);
  const auto uf = static_cast<std::uint64_t>(f);
  const std::uint64_t P = period();
  if (df_ == Dataflow::WS) {
    if (wb_ == WeightBuffering::Single) {
      t.wload = uf * P;
      t.stream = t.wload + R;
    } else {
      t.stream = R + uf * P;
      t.wload = f == 0 ? 0 : t.stream - P + R + C - 2;
    }
    t.out = t.stream + R;
  } else {
    t.wload = t.stream = uf * P;
    t.out = t.stream + static_cast<std::uint64_t>(S_) + R + C - 2;
  }
  return t;
}

// The last fold's last output: ws one cycle after the last slot entered the
// corner PE, stream + R + C - 2 + M - 1 (the FLUSH cycle, + 1 for the count);
// os the last drain cycle, out + R - 1.
std::uint64_t FoldSchedule::cycles() const {
  const FoldTimes last = fold(folds() - 1);
  const auto R = static_cast<std::uint64_t>(R_), C = static_cast<std::uint64_t>(C_);
  if (df_ == Dataflow::WS) return last.stream + R + C - 2 + static_cast<std::uint64_t>(M_) + 1;
  return last.out + R;
}

}  // namespace sparq
