#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sparq {

namespace {
void finish(ErrorMetrics& m) {
  m.exact = m.mismatches == 0;
  m.mean_abs = m.count ? m.sum_abs / static_cast<double>(m.count) : 0;
  m.rel_l2 =
      m.ref_sq > 0 ? std::sqrt(m.err_sq / m.ref_sq) : (m.err_sq > 0 ? std::numeric_limits<double>::infinity() : 0);
  m.sqnr_db = m.err_sq > 0 ? 10 * std::log10(m.ref_sq / m.err_sq) : std::numeric_limits<double>::infinity();
}
}  // namespace

void ErrorMetrics::merge(const ErrorMetrics& o) {
  count += o.count;
  mismatches += o.mismatches;
  err_sq += o.err_sq;
  ref_sq += o.ref_sq;
  sum_abs += o.sum_abs;
  max_abs = std::max(max_abs, o.max_abs);
  finish(*this);
}

ErrorMetrics compare(const std::vector<double>& approx, const std::vector<double>& ref) {
  if (approx.size() != ref.size()) throw std::logic_error("compare: size mismatch");
  ErrorMetrics m;
  m.count = ref.size();
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = approx[i] - ref[i];
    m.err_sq += d * d;
    m.ref_sq += ref[i] * ref[i];
    m.sum_abs += std::fabs(d);
    m.max_abs = std::max(m.max_abs, std::fabs(d));
    m.mismatches += (d != 0);
  }
  finish(m);
  return m;
}

ErrorMetrics compare(const std::vector<std::int64_t>& approx, const std::vector<std::int64_t>& ref) {
  std::vector<double> a(approx.begin(), approx.end()), r(ref.begin(), ref.end());
  return compare(a, r);
}

std::vector<double> dequantize(const std::vector<std::int64_t>& acc, double scale_a, const std::vector<float>& scale_w,
                               const std::vector<float>& bias) {
  std::vector<double> out(acc.size());
  const std::size_t C = scale_w.size();
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::size_t oc = i % C;
    out[i] = static_cast<double>(acc[i]) * scale_a * scale_w[oc] + (bias.empty() ? 0.0 : bias[oc]);
  }
  return out;
}

}  // namespace sparq
