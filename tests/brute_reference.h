// Independent brute-force formulations of docs/arithmetic.md §2, written from the
// definitions (value comparisons and enumeration of representable values),
// never from the implementation's bit manipulations. Tests compare the
// datapath functions against these.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace brute {

inline int pow2(int e) {
  int p = 1;
  for (int i = 0; i < e; ++i) p *= 2;
  return p;
}

// Allowed shifts ascending from a mask.
inline std::vector<int> shifts_of(unsigned mask) {
  std::vector<int> s;
  for (int i = 0; i < 16; ++i)
    if (mask & (1u << i)) s.push_back(i);
  return s;
}

// The selected shift: the smallest allowed s whose n-bit window reaches a's
// top bit, i.e. a < 2^(n+s). For a == 0, the smallest allowed shift.
inline int shift_for(int a, int n, unsigned mask) {
  for (int s : shifts_of(mask))
    if (a < pow2(n + s)) return s;
  return -1;  // no window holds a: invalid set
}

enum class Mode { Trunc, Round, RoundRenorm };

struct Trimmed {
  int value;
  bool saturated;
};

// Nearest representable value v*2^s (v in 0..2^n-1) to a, ties to even v.
inline int nearest_at(int a, int n, int s, bool* wanted_overflow) {
  int best = -1, best_v = -1;
  long best_d = 1L << 30;
  for (int v = 0; v < pow2(n); ++v) {
    const long d = std::labs(static_cast<long>(a) - static_cast<long>(v) * pow2(s));
    if (d < best_d || (d == best_d && v % 2 == 0)) {
      best_d = d;
      best = v * pow2(s);
      best_v = v;
    }
  }
  // Would the unbounded rounding have picked v = 2^n?  (a nearer to 2^(n+s), or a tie broken to the even 2^n)
  const long d_over = std::labs(static_cast<long>(a) - static_cast<long>(pow2(n + s)));
  *wanted_overflow = (best_v == pow2(n) - 1) && (d_over < best_d || (d_over == best_d && pow2(n) % 2 == 0));
  return best;
}

inline Trimmed trim(int a, int n, unsigned mask, Mode mode) {
  const int s = shift_for(a, n, mask);
  if (mode == Mode::Trunc) return {(a / pow2(s)) * pow2(s), false};
  bool over = false;
  const int r = nearest_at(a, n, s, &over);
  if (!over) return {r, false};
  if (mode == Mode::RoundRenorm) {
    const int target = pow2(n + s);
    for (int t : shifts_of(mask))
      if (t > s) {
        // the next larger shift: take it if it holds target exactly and target is an 8-bit value
        if (target <= 255 && target % pow2(t) == 0 && target / pow2(t) < pow2(n)) return {target, false};
        break;
      }
  }
  return {r, true};
}

}  // namespace brute
