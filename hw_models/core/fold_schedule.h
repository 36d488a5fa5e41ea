// When each fold of a GEMM on an R x C systolic array uses which operands,
// cycle by cycle (no stalls): the one timing description the fold model, the
// memory model and the tests share (docs/hardware.md §4 for single and §8
// "Weight buffering" for double buffering). The
// stepped and structural models derive the same cycles from their controller;
// tests check every field here against their per-cycle probe.
//
// Fold order: column (N) folds outer; K folds (ws) or M folds (os) inner;
// fold f = outer * inner_folds + inner. Cycle 0 is the GEMM's first cycle.
#pragma once

#include <cstdint>

#include "enum_names.h"

namespace sparq {

struct FoldTimes {
  int outer = 0, inner = 0;  // fold indices (column fold, K or M fold)
  // ws: first of the R cycles in which the fold's weights leave the column
  // buses' buffers (column c reads one weight (pair) per cycle); os: equal to
  // `stream` (the weights stream with the activations).
  std::uint64_t wload = 0;
  // Row r's bus carries the fold's slot i at stream + r + i (ws: slot i is
  // output row m = i; os: reduction step k = i); os: column c's bus carries
  // w(k, n0 + c) at stream + c + k.
  std::uint64_t stream = 0;
  // ws: column c's output accumulator takes slot m at out + c + m (the
  // output is final in the last K fold); os: the collectors take one array
  // row per cycle, row R-1-j at out + j, j < R.
  std::uint64_t out = 0;
};

class FoldSchedule {
 public:
  // M x N GEMM over S reduction steps (k, or k-pairs for the pair designs).
  FoldSchedule(Dataflow df, WeightBuffering wb, int rows, int cols, int M, int N, int S);
  int outer_folds() const { return outer_; }
  int inner_folds() const { return inner_; }
  int folds() const { return outer_ * inner_; }
  FoldTimes fold(int f) const;
  // The GEMM's cycles (its last output written).
  std::uint64_t cycles() const;
  // Cycles from one fold's stream start to the next's (single buffering:
  // the whole fold, ws 2R + C + M - 2, os S + 2R + C - 2; double buffering:
  // ws max(M, 2R + C - 2), os max(S, R + C - 1, 2R + C - 3);
  // docs/hardware.md "Weight buffering").
  std::uint64_t period() const;
  // Slots a row's bus carries per fold: ws M, os S.
  std::uint64_t slots() const;

 private:
  Dataflow df_;
  WeightBuffering wb_;
  int R_, C_, M_, N_, S_, outer_, inner_;
};

}  // namespace sparq
