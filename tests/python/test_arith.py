"""The vectorized arithmetic (sparq.window, trim, pair_rule,
effective_activations) against the brute-force formulation of
docs/arithmetic.md (brute.py): every 8-bit value, every pair."""
import itertools

import numpy as np
import pytest

import brute
import sparq

ALL = np.arange(256, dtype=np.uint8)
MODES = ["trunc", "round", "round_renorm"]


@pytest.mark.parametrize("preset", list(brute.PRESETS))
@pytest.mark.parametrize("mode", MODES)
def test_window_presets_all_values(preset, mode):
    n, S = brute.PRESETS[preset]
    vals, shifts = brute.window_table(n, S, mode)
    w = sparq.window(ALL, preset, rounding=mode)
    assert w.value.dtype == np.uint16 and w.value.shape == (256,)
    np.testing.assert_array_equal(w.value.astype(np.int64), vals)
    np.testing.assert_array_equal(w.shift.astype(np.int64), shifts)
    np.testing.assert_array_equal(w.contents.astype(np.int64) << w.shift.astype(np.int64), vals)
    np.testing.assert_array_equal(sparq.trim(ALL, preset, rounding=mode), w.value)


def valid_sets():
    """Every valid (n, S) (docs/arithmetic.md §2.1: max(S) >= 8 - n), S as a shift list."""
    for n in range(1, 9):
        for mask in range(1, 256):
            S = [s for s in range(8) if mask >> s & 1]
            if max(S) >= 8 - n:
                yield n, S


def test_window_every_valid_shift_set():
    checked = 0
    for n, S in valid_sets():
        for mode in MODES:
            vals, shifts = brute.window_table(n, S, mode)
            w = sparq.window(ALL, S, window_bits=n, rounding=mode)
            assert np.array_equal(w.value.astype(np.int64), vals), (n, S, mode)
            assert np.array_equal(w.shift.astype(np.int64), shifts), (n, S, mode)
            checked += 1
    assert checked > 3000


def test_window_test_vectors():
    # docs/arithmetic.md §2.4
    assert sparq.trim(np.array([0x17, 0x6C], np.uint8), "5opt", rounding="trunc").tolist() == [22, 104]
    assert sparq.trim(np.array([0x17, 0x6C], np.uint8), "5opt").tolist() == [24, 112]
    assert sparq.trim(np.array([0x7F], np.uint8), "3opt").tolist() == [128]
    assert sparq.trim(np.array([0x1F], np.uint8), "2opt", rounding="trunc").tolist() == [16]
    assert sparq.trim(np.array([124], np.uint8), "5opt", rounding="round_renorm").tolist() == [128]
    sat = {p: sorted(ALL[sparq.window(ALL, p).saturated].tolist()) for p in ("5opt", "3opt", "2opt")}
    assert sat["5opt"] == [31, 62, 63] + list(range(124, 128)) + list(range(248, 256))
    assert sat["3opt"] == [62, 63] + list(range(248, 256))
    assert sat["2opt"] == list(range(248, 256))
    assert [len(np.unique(sparq.trim(ALL, p))) for p in ("5opt", "3opt", "2opt")] == [48, 40, 31]


def test_window_any_shape_and_order():
    a = np.random.default_rng(1).integers(0, 256, (3, 4, 5), dtype=np.uint8)
    w = sparq.window(a[:, ::2].transpose(2, 0, 1))  # non-contiguous input
    ref = sparq.trim(np.ascontiguousarray(a[:, ::2].transpose(2, 0, 1)))
    assert w.value.shape == (5, 3, 2)
    np.testing.assert_array_equal(w.value, ref)


DESIGNS = [("int8", "5opt", 4), ("int4", "5opt", 4)] + [("bsparq", s, 4) for s in ("5opt", "3opt", "2opt")] + \
          [("vsparq", s, 4) for s in ("5opt", "3opt", "2opt")] + [("vsparq", "5opt", 3), ("vsparq", "5opt", 2)]


@pytest.mark.parametrize("design,shift_set,budget", DESIGNS)
def test_pair_rule_all_pairs(design, shift_set, budget):
    a1, a2 = (x.astype(np.uint8).ravel() for x in np.meshgrid(ALL, ALL, indexing="ij"))
    keys = {}
    if design in ("bsparq", "vsparq") and budget == 4:
        keys["shift_set"] = shift_set
    if design == "vsparq":
        keys["budget"] = budget
    p = sparq.pair_rule(a1, a2, design, **keys)
    t1, t2 = brute.pair_tables(design, shift_set, budget)
    np.testing.assert_array_equal(p.a1.astype(np.int64), t1.ravel())
    np.testing.assert_array_equal(p.a2.astype(np.int64), t2.ravel())
    if design == "vsparq":
        expect = np.where((a1 == 0) & (a2 == 0), 3, np.where(a1 == 0, 1, np.where(a2 == 0, 2, 0)))
        np.testing.assert_array_equal(p.mode, expect)
        assert [sparq.PAIR_MODES[i] for i in (0, 1, 2, 3)] == ["both_nonzero", "first_zero", "second_zero",
                                                               "both_zero"]


def test_pair_rule_design_as_dict_and_config():
    a = np.array([0, 200, 23], np.uint8)
    b = np.array([77, 0, 9], np.uint8)
    d = sparq.pair_rule(a, b, {"design": "vsparq", "shift_set": "3opt"})
    c = sparq.pair_rule(a, b, sparq.load_config({"pe": {"design": "vsparq", "shift_set": "3opt"}}))
    k = sparq.pair_rule(a, b, "vsparq", shift_set="3opt")
    for x in (d, c):
        np.testing.assert_array_equal(x.a1, k.a1)
        np.testing.assert_array_equal(x.a2, k.a2)
    assert k.a1.tolist() == [0, 200, 24] and k.a2.tolist() == [77, 0, 9]


def test_effective_activations_pairs_along_last_axis():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (4, 7), dtype=np.uint8)
    a[rng.random(a.shape) < 0.5] = 0
    e = sparq.effective_activations(a, "vsparq", shift_set="2opt")
    t1, t2 = brute.pair_tables("vsparq", "2opt")
    ap = np.concatenate([a, np.zeros((4, 1), np.uint8)], axis=1).astype(np.int64)
    ref = np.empty_like(ap)
    ref[:, 0::2] = t1[ap[:, 0::2], ap[:, 1::2]]
    ref[:, 1::2] = t2[ap[:, 0::2], ap[:, 1::2]]
    assert e.shape == a.shape and e.dtype == np.int16
    np.testing.assert_array_equal(e, ref[:, :7])


def test_arith_errors():
    with pytest.raises(sparq.InputTypeError, match=r"window: a has dtype <f4, expected \|u1") as e:
        sparq.trim(np.zeros(3, np.float32))
    assert isinstance(e.value, TypeError) and isinstance(e.value, ValueError)
    with pytest.raises(sparq.InputTypeError, match="expected a numpy array, got list"):
        sparq.trim([1, 2, 3])
    with pytest.raises(sparq.InputError, match="window"):
        sparq.trim(ALL, [0], window_bits=4)  # max(S) < 8 - n: 255 has no window
    with pytest.raises(sparq.InputError, match="rounding: unknown rounding 'nearest'"):
        sparq.trim(ALL, rounding="nearest")
    with pytest.raises(sparq.InputError, match=r"a1 has shape \(3,\) but a2 has shape \(2,\)"):
        sparq.pair_rule(np.zeros(3, np.uint8), np.zeros(2, np.uint8))
    with pytest.raises(sparq.InputError, match="pe.design"):
        sparq.pair_rule(ALL, ALL, "qsparq")


def test_pair_rule_large_arrays_use_the_same_rule():
    rng = np.random.default_rng(3)
    a1 = rng.integers(0, 256, 200_000, dtype=np.uint8)
    a2 = rng.integers(0, 256, 200_000, dtype=np.uint8)
    a2[::3] = 0
    big = sparq.pair_rule(a1, a2, "vsparq", budget=3)  # > 65536 elements: the table path
    t1, t2 = brute.pair_tables("vsparq", budget=3)
    np.testing.assert_array_equal(big.a1, t1[a1, a2])
    np.testing.assert_array_equal(big.a2, t2[a1, a2])
    small = sparq.pair_rule(a1[:1000], a2[:1000], "vsparq", budget=3)
    np.testing.assert_array_equal(small.mode, big.mode[:1000])


def test_quantize_is_the_networks_quantizer():
    x = np.array([[-1.0, 0.0, 0.5, 1.5, 2.5, 0.26, 300.0]], np.float32)
    np.testing.assert_array_equal(sparq.quantize(x, 0.5), [[0, 0, 1, 3, 5, 1, 255]])  # ties to even
    s = sparq.quantize(x, 0.5, signed=True)
    assert s.dtype == np.int8 and s.shape == x.shape
    np.testing.assert_array_equal(s, [[-2, 0, 1, 3, 5, 1, 127]])
    r = np.random.default_rng(5).normal(0, 3, 1000).astype(np.float32)
    np.testing.assert_array_equal(sparq.quantize(r, 0.02), np.clip(np.rint(r / np.float32(0.02)), 0, 255))
    with pytest.raises(sparq.InputTypeError, match=r"quantize: x has dtype <f8, expected <f4"):
        sparq.quantize(r.astype(np.float64), 0.1)
    with pytest.raises(sparq.InputError, match="scale must be a positive"):
        sparq.quantize(r, 0)
