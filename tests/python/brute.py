"""An independent brute-force formulation of SPARQ's arithmetic, written
from docs/arithmetic.md (§2 windows, §2.2 rounding, §3 the pair rule), one
value at a time; the tests compare the module's vectorized arithmetic and
the simulated array's accumulators against it."""
import numpy as np

# docs/arithmetic.md §2.3: preset -> (n, S)
PRESETS = {
    "5opt": (4, [4, 3, 2, 1, 0]),
    "3opt": (4, [4, 2, 0]),
    "2opt": (4, [4, 0]),
    "6opt": (3, [5, 4, 3, 2, 1, 0]),
    "7opt": (2, [6, 5, 4, 3, 2, 1, 0]),
    "6b-3opt": (6, [2, 1, 0]),
    "1opt": (4, [4]),
    "8b": (8, [0]),
}


def window(a, n, S, mode):
    """(trimmed value, shift) of activation a in an n-bit window at a shift of S."""
    S = sorted(S)
    if a == 0:
        return 0, S[0]
    msb = a.bit_length() - 1
    s = min(x for x in S if x >= msb - (n - 1))
    v = (a >> s) & ((1 << n) - 1)
    if s == 0 or mode == "trunc":
        return v << s, s
    half = (a >> (s - 1)) & 1
    sticky = (a & ((1 << (s - 1)) - 1)) != 0
    lsb = v & 1
    if not (half and (lsb or sticky)):
        return v << s, s
    if v < (1 << n) - 1:
        return (v + 1) << s, s
    if mode == "round":  # saturates
        return v << s, s
    # round_renorm: the rounded value 2^(n+s) at the next larger shift, if it fits exactly
    r = 1 << (n + s)
    larger = [t for t in S if t > s]
    if larger and r <= 255:
        t = larger[0]
        if t <= n + s and (r >> t) < (1 << n):
            return r, t
    return v << s, s


def window_table(n, S, mode):
    vals = np.zeros(256, np.int64)
    shifts = np.zeros(256, np.int64)
    for a in range(256):
        vals[a], shifts[a] = window(a, n, S, mode)
    return vals, shifts


# The designs' windows (docs/arithmetic.md §3.2): lanes and the partner of a zero.
def design_windows(design, shift_set="5opt", budget=4):
    if design == "int8":
        return None, None
    if design == "int4":
        return PRESETS["1opt"], None
    if design == "bsparq":
        return PRESETS[shift_set], None
    if design == "vsparq":
        if budget == 4:
            return PRESETS[shift_set], PRESETS["8b"]
        if budget == 3:
            return PRESETS["6opt"], PRESETS["6b-3opt"]
        if budget == 2:
            return PRESETS["7opt"], PRESETS["5opt"]
    raise ValueError(design)


def pair(a1, a2, design, shift_set="5opt", budget=4, mode="round"):
    """docs/arithmetic.md §3.1: the effective activations (a1', a2') of a pair."""
    lanes, partner = design_windows(design, shift_set, budget)
    if lanes is None:
        return a1, a2
    if partner is None:  # int4, bsparq: no zero detectors, both always trimmed
        return window(a1, *lanes, mode)[0], window(a2, *lanes, mode)[0]
    if a1 == 0 and a2 == 0:
        return 0, 0
    if a1 == 0:
        return 0, window(a2, *partner, mode)[0]
    if a2 == 0:
        return window(a1, *partner, mode)[0], 0
    return window(a1, *lanes, mode)[0], window(a2, *lanes, mode)[0]


def pair_tables(design, shift_set="5opt", budget=4, mode="round"):
    """[256, 256] tables of a1' and a2'."""
    t1 = np.zeros((256, 256), np.int64)
    t2 = np.zeros((256, 256), np.int64)
    for a1 in range(256):
        for a2 in range(256):
            t1[a1, a2], t2[a1, a2] = pair(a1, a2, design, shift_set, budget, mode)
    return t1, t2


def im2col(x, kh, kw, stride, dilation, pad, groups, g):
    """docs/arithmetic.md §4: the lowered A [M, K] of group g, k tap-major, channel-minor."""
    H, W, C = x.shape
    cpg = C // groups
    t, b, l, r = pad
    xp = np.zeros((H + t + b, W + l + r, C), x.dtype)
    xp[t:t + H, l:l + W] = x
    Ho = (H + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cols = []
    for i in range(kh):
        for j in range(kw):
            patch = xp[i * dilation[0]: i * dilation[0] + stride[0] * (Ho - 1) + 1: stride[0],
                       j * dilation[1]: j * dilation[1] + stride[1] * (Wo - 1) + 1: stride[1],
                       g * cpg:(g + 1) * cpg]
            cols.append(patch.reshape(Ho * Wo, cpg))
    return np.concatenate(cols, axis=1), Ho, Wo


def conv_reference(x, w, stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), groups=1, tables=None, acc_bits=32):
    """The layer's accumulators [H_out, W_out, C_out]: exact int8 (tables None)
    or with each pair (k, k+1) of the lowered A replaced by the tables'
    effective activations, wrapped to acc_bits."""
    kh, kw, cpg, cout = w.shape
    npg = cout // groups
    signed = x.dtype == np.int8
    outs = []
    for g in range(groups):
        A, Ho, Wo = im2col(x, kh, kw, stride, dilation, pad, groups, g)
        A = A.astype(np.int64)
        B = w[:, :, :, g * npg:(g + 1) * npg].reshape(kh * kw * cpg, npg).astype(np.int64)
        if tables is not None:
            assert not signed
            if A.shape[1] % 2:
                A = np.concatenate([A, np.zeros((A.shape[0], 1), np.int64)], axis=1)
                B = np.concatenate([B, np.zeros((1, npg), np.int64)], axis=0)
            a1, a2 = A[:, 0::2], A[:, 1::2]
            E = np.empty_like(A)
            E[:, 0::2] = tables[0][a1, a2]
            E[:, 1::2] = tables[1][a1, a2]
            A = E
        outs.append(A @ B)
    acc = np.concatenate(outs, axis=1).reshape(Ho, Wo, cout)
    m = 1 << acc_bits
    return ((acc + (m >> 1)) % m) - (m >> 1)
