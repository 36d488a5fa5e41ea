// Output error metrics: a design's accumulators against the exact int8
// accumulators, and dequantized outputs against the original float model.
#pragma once

#include <cstdint>
#include <vector>

namespace sparq {

struct ErrorMetrics {
  std::size_t count = 0;
  double sqnr_db = 0;  // 10 log10(sum ref^2 / sum err^2); +inf when err == 0
  bool exact = false;  // every element equal
  double max_abs = 0;  // max |approx - ref|, in the operands' unit
  double mean_abs = 0;
  double rel_l2 = 0;  // ||approx - ref||_2 / ||ref||_2
  std::size_t mismatches = 0;
  double err_sq = 0, ref_sq = 0, sum_abs = 0;  // raw sums, so that layers can be combined

  // Combines another comparison (e.g. the next layer) into this one.
  void merge(const ErrorMetrics& o);
};

ErrorMetrics compare(const std::vector<double>& approx, const std::vector<double>& ref);
ErrorMetrics compare(const std::vector<std::int64_t>& approx, const std::vector<std::int64_t>& ref);

// Dequantize accumulators [.., C_out]: acc * scale_a * scale_w[oc] + bias[oc].
std::vector<double> dequantize(const std::vector<std::int64_t>& acc, double scale_a, const std::vector<float>& scale_w,
                               const std::vector<float>& bias);

}  // namespace sparq
