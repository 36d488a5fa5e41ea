"""sparq.run_layer: accumulators bit for bit against an independent numpy
reference (exact int8 convolution; the trimmed-activation GEMM of
docs/arithmetic.md for the SPARQ designs), cycles and statistics equal to
what the CLI reports for a shipped layer, repeated runs in one process, and
the error paths with the CLI's messages."""
import json
import subprocess

import numpy as np
import pytest

import brute
import sparq

ARRAY = {"array": {"rows": 8, "cols": 8}}


def random_layer(seed, H=7, W=6, C=5, K=(3, 3), Cout=6, groups=1, zeros=0.5):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
    x[rng.random(x.shape) < zeros] = 0
    w = rng.integers(-128, 128, (K[0], K[1], C // groups, Cout), dtype=np.int8)
    return x, w


def test_int8_conv_exact(in_tmp):
    x, w = random_layer(1)  # C_in = 5: pairs straddle taps
    r = sparq.run_layer(x, w, {**ARRAY, "pe": {"design": "int8"}}, stride=2, padding="same")
    ref = brute.conv_reference(x, w, stride=(2, 2), pad=(1, 1, 0, 1))  # TensorFlow's SAME: the extra column right
    assert r.accumulators.dtype == np.int64 and r.accumulators.shape == (4, 3, 6)
    np.testing.assert_array_equal(r.accumulators, ref)
    np.testing.assert_array_equal(r.exact, ref)
    assert r.cycles > 0 and r.designs[0].name == "int8"
    assert list(in_tmp.iterdir()) == []  # nothing written


PAIR_DESIGNS = [("bsparq", "5opt", 4), ("bsparq", "3opt", 4), ("bsparq", "2opt", 4), ("vsparq", "5opt", 4),
                ("vsparq", "3opt", 4), ("vsparq", "2opt", 4), ("vsparq", "5opt", 3), ("vsparq", "5opt", 2),
                ("int4", "5opt", 4)]


def pe_keys(design, shift_set, budget):
    pe = {"design": design}
    if design in ("bsparq", "vsparq") and budget == 4:
        pe["shift_set"] = shift_set
    if design == "vsparq":
        pe["budget"] = budget
    return pe


@pytest.mark.parametrize("design,shift_set,budget", PAIR_DESIGNS)
def test_pair_designs_equal_trimmed_gemm(design, shift_set, budget):
    x, w = random_layer(2, C=3, K=(3, 2), Cout=5)  # odd C_in and odd K (padded pair)
    r = sparq.run_layer(x, w, {**ARRAY, "pe": pe_keys(design, shift_set, budget)}, padding=(1, 0, 1, 1),
                        dilation=(1, 2))
    ref = brute.conv_reference(x, w, dilation=(1, 2), pad=(1, 0, 1, 1),
                               tables=brute.pair_tables(design, shift_set, budget))
    np.testing.assert_array_equal(r.accumulators, ref)
    assert not np.array_equal(r.accumulators, r.exact)  # the test can tell the designs apart


def test_compare_designs_depthwise_and_dense():
    cfg = {**ARRAY, "compare": [{"design": "int8"}, {"design": "vsparq", "shift_set": "3opt"},
                                {"design": "bsparq", "shift_set": "2opt", "name": "b2"}]}
    x, w = random_layer(3, C=4, K=(3, 3), Cout=8, groups=4)
    r = sparq.run_layer(x, w, cfg, op="depthwise_conv2d", padding="same")
    assert [d.name for d in r] == ["int8", "vsparq-3opt", "b2"]
    np.testing.assert_array_equal(r["int8"].accumulators, brute.conv_reference(x, w, pad=(1, 1, 1, 1), groups=4))
    np.testing.assert_array_equal(
        r["b2"].accumulators,
        brute.conv_reference(x, w, pad=(1, 1, 1, 1), groups=4, tables=brute.pair_tables("bsparq", "2opt")))
    with pytest.raises(ValueError, match="3 designs"):
        r.accumulators
    rng = np.random.default_rng(4)
    v = rng.integers(0, 256, 37, dtype=np.uint8)
    m = rng.integers(-127, 128, (37, 10), dtype=np.int8)
    d = sparq.run_layer(v, m, {**ARRAY, "pe": {"design": "vsparq"}})
    ref = brute.conv_reference(v.reshape(1, 1, 37), m.reshape(1, 1, 37, 10), tables=brute.pair_tables("vsparq"))
    np.testing.assert_array_equal(d.accumulators, ref)
    assert d.layer_stats["geometry"].value.startswith("1x1/1")


def test_signed_activations_run_at_int8_under_pair_designs():
    rng = np.random.default_rng(5)
    x = rng.integers(-127, 128, (4, 4, 6), dtype=np.int8)
    w = rng.integers(-127, 128, (1, 1, 6, 3), dtype=np.int8)
    r = sparq.run_layer(x, w, {**ARRAY, "compare": [{"design": "int8"}, {"design": "vsparq"}]})
    np.testing.assert_array_equal(r["int8"].accumulators, brute.conv_reference(x, w))
    np.testing.assert_array_equal(r["vsparq-5opt"].accumulators, brute.conv_reference(x, w))  # as the paper: int8
    assert r["vsparq-5opt"].layer_stats["ran_at"].value == "int8"
    assert "ran_at" not in r["int8"].layer_stats


def test_repeated_runs_and_structural_fidelity():
    x, w = random_layer(6, H=5, W=5, C=6, Cout=4)
    cfg = {**ARRAY, "array": {"rows": 4, "cols": 4}, "pe": {"design": "vsparq"}}
    a = sparq.run_layer(x, w, cfg)
    b = sparq.run_layer(x, w, cfg)
    s1 = sparq.run_layer(x, w, {**cfg, "simulation": {"fidelity": "structural"}})
    s2 = sparq.run_layer(x, w, cfg, set=["simulation.fidelity=structural"])
    for r in (b, s1, s2):
        np.testing.assert_array_equal(r.accumulators, a.accumulators)
        assert r.cycles == a.cycles
    assert a.layer_stats.flat().keys() == s1.layer_stats.flat().keys()
    assert s2.stats["config"]["design"].value == "vsparq-5opt"


def test_max_pixels_and_float_error():
    x, w = random_layer(7, H=6, W=6, C=4, Cout=3)
    scales = np.full(3, 0.01, np.float32)
    fo = brute.conv_reference(x, w).astype(np.float32) * np.float32(0.5 * 0.01)
    r = sparq.run_layer(x, w, {"pe": {"design": "int8"}}, max_pixels=5, weight_scales=scales, activation_scale=0.5,
                        float_output=fo)
    assert r.accumulators.shape == (5, 3)
    np.testing.assert_array_equal(r.accumulators, brute.conv_reference(x, w).reshape(-1, 3)[:5])
    ls = r.layer_stats
    assert ls["pixels"].value == 5
    assert ls["error_vs_float"]["relative_l2"].value < 1e-6
    assert ls["error_vs_int8"]["sqnr"].value is None  # exact: undefined SQNR
    assert ls["error_vs_int8"]["mismatches"].value == 0


@pytest.mark.parametrize("sets", [[], ["trace.max_pixels=16", "array.dataflow=os", "memory.enabled=true"]])
def test_real_layer_equals_cli(source_dir, sim_exe, tmp_path, sets):
    """conv2d_79 (1x3 conv, 8x8x384) of the shipped bundle: the accumulators
    the CLI dumps, its cycles and every statistic it writes to results.json."""
    cfg = [source_dir / "configs" / "base.yaml", {"trace": {"layers": ["conv2d_79"]}}]
    out = tmp_path / "cli"
    p = subprocess.run([sim_exe, "run", str(source_dir / "configs" / "base.yaml"), "--set", "trace.layers=[conv2d_79]",
                        *[a for s in sets for a in ("--set", s)], "--out", str(out), "--dump-outputs", str(out / "acc"),
                        "-q"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    cli = json.loads((out / "results.json").read_text())["designs"]["vsparq-5opt"]
    d = source_dir / "traces" / "inceptionv3-dog"
    x, w = np.load(d / "conv2d_79.input.npy"), np.load(d / "conv2d_79.weights.npy")
    scales, fo = np.load(d / "conv2d_79.weight_scales.npy"), np.load(d / "conv2d_79.float_output.npy")
    r = sparq.run_layer(x, w, cfg, set=sets, padding=(0, 0, 1, 1), weight_scales=scales,
                        activation_scale=0.020219435915350914, float_output=fo, name="conv2d_79")
    np.testing.assert_array_equal(r.accumulators, np.load(out / "acc" / "vsparq-5opt.conv2d_79.acc.npy"))
    cl = cli["layers"]["conv2d_79"]
    assert r.cycles == cl["cycles"]["total"]["value"] > 0

    def flat(j, prefix=""):
        o = {}
        for k, v in j.items():
            if isinstance(v, dict) and "unit" in v and "description" in v:
                o[prefix + k] = (v.get("value"), v["unit"], v["description"])
            elif isinstance(v, dict):
                o.update(flat(v, prefix + k + "."))
        return o

    ours = {k: (s.value, s.unit or "text", s.description) for k, s in r.stats.flat().items()}
    theirs = flat(cli)
    assert set(ours) == set(theirs)
    for k, (v, unit, desc) in theirs.items():
        if "wall" in k:
            continue
        assert ours[k][1:] == (unit, desc), k
        if isinstance(v, float) or isinstance(ours[k][0], float):
            assert ours[k][0] == pytest.approx(v, rel=1e-8, abs=1e-12)  # results.json: 9 digits, k
        else:
            assert ours[k][0] == v, k


def test_errors_carry_the_cli_messages(source_dir, sim_exe, tmp_path):
    x, w = random_layer(8)
    with pytest.raises(sparq.InputTypeError, match=r"run_layer: layer 'layer': input has dtype <f4, expected \|u1 or \|i1") as e:
        sparq.run_layer(x.astype(np.float32), w)
    assert isinstance(e.value, TypeError)
    with pytest.raises(sparq.InputTypeError, match=r"weights has dtype <i2, expected \|i1"):
        sparq.run_layer(x, w.astype(np.int16))
    with pytest.raises(sparq.InputError, match=r"weights has shape \(3, 3, 4, 6\), the geometry implies \(3, 3, 5, 6\)"):
        sparq.run_layer(x, w[:, :, :4])
    with pytest.raises(sparq.InputError, match=r"input has shape \(7, 6\), expected \[H, W, C_in\]"):
        sparq.run_layer(x[:, :, 0], w)
    with pytest.raises(sparq.InputError, match=r"weight_scales has shape \(5,\), the geometry implies \(6,\)"):
        sparq.run_layer(x, w, weight_scales=np.ones(5, np.float32))
    with pytest.raises(sparq.InputError, match=r"weight_scales\[2\] must be positive and finite"):
        sparq.run_layer(x, w, weight_scales=np.array([1, 1, 0, 1, 1, 1], np.float32))
    with pytest.raises(sparq.InputError, match="bad geometry"):
        sparq.run_layer(x, w, stride=0)
    with pytest.raises(sparq.InputError, match="op must be conv2d, depthwise_conv2d or dense"):
        sparq.run_layer(x, w, op="conv3d")
    with pytest.raises(ValueError):  # every InputError is a ValueError
        sparq.run_layer(x, w, {"array": {"rows": 0}})
    # A configuration error: the same message as the CLI's for the same file.
    bad = tmp_path / "bad.yaml"
    bad.write_text("pe:\n  design: vsparq\n  shift_set: 9opt\n")
    p = subprocess.run([sim_exe, "run", str(bad), "--set", "trace.bundle=" + str(source_dir / "traces/inceptionv3-dog")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    cli_msg = p.stderr.strip().removeprefix("error: ")
    with pytest.raises(sparq.InputError) as e:
        sparq.run_layer(x, w, bad)
    assert str(e.value) == cli_msg
    with pytest.raises(sparq.InputError, match=r"<config dict 0>: pe: unknown key 'desing'|desing"):
        sparq.load_config({"pe": {"desing": "int8"}})
    missing = tmp_path / "nope.yaml"
    p = subprocess.run([sim_exe, "run", str(missing)], capture_output=True, text=True)
    with pytest.raises(sparq.InputFileNotFoundError) as e:
        sparq.run_layer(x, w, missing)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, sparq.InputError)
    assert str(e.value) == p.stderr.strip().removeprefix("error: ")
    with pytest.raises(sparq.InputTypeError):
        sparq.run_layer(x, w, 42)


def test_config_object_and_overrides():
    cfg = sparq.load_config({"pe": {"design": "bsparq", "shift_set": "3opt"}}, {"array": {"rows": 4}},
                            set=["array.cols=2"])
    assert cfg.designs == ["bsparq-3opt"]
    assert "rows: 4" in cfg.effective_yaml and "cols: 2" in cfg.effective_yaml
    x, w = random_layer(9, C=2, Cout=3)
    r = sparq.run_layer(x, w, cfg)
    assert r.stats["config"]["rows"].value == 4 and r.stats["config"]["cols"].value == 2
    assert r.stats.description == "PE design bsparq-3opt"
    assert r.stats["total"]["cycles"]["total"].unit == "cycle"
    assert "accumulator_bits" in sparq.config_reference()
    # A Config merges again with more overrides (max_pixels is one).
    p = sparq.run_layer(x, w, cfg, max_pixels=3, set=["array.rows=2"])
    assert p.accumulators.shape == (3, 3) and p.stats["config"]["rows"].value == 2
    np.testing.assert_array_equal(p.accumulators, r.accumulators.reshape(-1, 3)[:3])
    both = sparq.load_config(cfg, {"pe": {"shift_set": "2opt"}})
    assert both.designs == ["bsparq-2opt"] and "cols: 2" in both.effective_yaml


def test_functional_engine_equals_array():
    cfg = {**ARRAY, "compare": [{"design": d, **k} for d, k in
                                (("int8", {}), ("int4", {}), ("bsparq", {"shift_set": "2opt"}),
                                 ("vsparq", {"shift_set": "3opt"}), ("vsparq", {"budget": 2}))]}
    x, w = random_layer(10, H=6, W=5, C=7, Cout=9)
    a = sparq.run_layer(x, w, cfg, padding="same", stride=(1, 2))
    f = sparq.run_layer(x, w, cfg, padding="same", stride=(1, 2), engine="functional")
    np.testing.assert_array_equal(f.exact, a.exact)
    for da, df in zip(a, f):
        assert da.name == df.name
        np.testing.assert_array_equal(df.accumulators, da.accumulators)
        assert df.stats is None and df.cycles is None
    p = sparq.run_layer(x, w, cfg, padding="same", stride=(1, 2), engine="functional", max_pixels=4)
    np.testing.assert_array_equal(p["vsparq-3opt"].accumulators, a["vsparq-3opt"].accumulators.reshape(-1, 9)[:4])
    s = sparq.run_layer(x.view(np.int8), w, cfg, engine="functional")
    np.testing.assert_array_equal(s["int8"].accumulators, brute.conv_reference(x.view(np.int8), w))
    np.testing.assert_array_equal(s["vsparq-3opt"].accumulators, s["int8"].accumulators)  # signed: int8
    with pytest.raises(sparq.InputError, match="engine must be"):
        sparq.run_layer(x, w, cfg, engine="fast")


def test_dtype_equivalents_and_byte_order():
    x, w = random_layer(11, C=2, Cout=3)
    scales = np.ones(3, np.dtype("<f4"))
    r = sparq.run_layer(x, w, {"pe": {"design": "int8"}}, weight_scales=scales.astype(np.dtype("=f4")))
    np.testing.assert_array_equal(r.accumulators, brute.conv_reference(x, w))
    with pytest.raises(sparq.InputTypeError, match=r"weight_scales has dtype >f4, expected <f4"):
        sparq.run_layer(x, w, {"pe": {"design": "int8"}}, weight_scales=scales.astype(">f4"))
    # Non-contiguous views are taken as their values.
    big = np.zeros((7, 6, 4), np.uint8)
    big[:, :, ::2] = x
    r2 = sparq.run_layer(big[:, :, ::2], w, {"pe": {"design": "int8"}})
    np.testing.assert_array_equal(r2.accumulators, r.accumulators)


def test_argument_types_and_ranges_name_the_argument():
    x = np.zeros((8, 8, 4), np.uint8)
    w = np.zeros((3, 3, 4, 6), np.int8)
    cases = [
        (dict(stride=1.5), sparq.InputTypeError, r"^run_layer: stride: expected an integer, got float 1\.5$"),
        (dict(stride="a"), sparq.InputTypeError, r"^run_layer: stride: expected an integer, got str"),
        (dict(stride=2**40), sparq.InputError, r"^run_layer: stride: must be in -2147483647\.\.2147483647, got"),
        (dict(dilation=(1, 2, 3)), sparq.InputError, r"dilation takes one value or two"),
        (dict(padding=2**31), sparq.InputError, r"^run_layer: padding: must be in"),
        (dict(padding=(1.0, 2)), sparq.InputTypeError, r"^run_layer: padding: expected an integer"),
        (dict(groups=2.5), sparq.InputTypeError, r"^run_layer: groups: expected an integer, got float 2\.5$"),
        (dict(activation_scale="a"), sparq.InputTypeError, r"^run_layer: activation_scale: expected a number"),
        (dict(max_pixels="a"), sparq.InputTypeError, r"^run_layer: max_pixels: expected an integer"),
        (dict(max_pixels=-5), sparq.InputError, r"^run_layer: max_pixels: must be in 0\.\."),
        (dict(max_pixels=10**30), sparq.InputError, r"^run_layer: max_pixels: must be in 0\.\."),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            sparq.run_layer(x, w, **kwargs)
    assert sparq.run_layer(x, w, stride=np.int64(2), padding=np.array([1, 1])).accumulators.shape == (4, 4, 6)
    # A broadcast view is larger than int without the memory: named, not wrapped to a negative size.
    with pytest.raises(sparq.InputError, match=r"input has shape \(2147483653, 1, 4\): dimension 0 is above 2\^31-1"):
        sparq.run_layer(np.broadcast_to(np.uint8(1), (2**31 + 5, 1, 4)), np.zeros((1, 1, 4, 1), np.int8))
    with pytest.raises(sparq.InputTypeError, match=r"^<config dict 0>: array\.rows: expected a number, string"):
        sparq.run_layer(x, w, {"array": {"rows": object()}})
    with pytest.raises(sparq.InputTypeError, match=r"^run_network: bundle: expected a directory path or a dict"):
        sparq.run_network(5)
    with pytest.raises(sparq.InputError, match=r"^window: window_bits: must be in 1\.\.8, got -1$"):
        sparq.trim(np.arange(5, dtype=np.uint8), "5opt", -1)
    with pytest.raises(sparq.InputTypeError, match=r"^quantize: scale: expected a number, got str"):
        sparq.quantize(np.zeros(3, np.float32), "a")
    with pytest.raises(sparq.InputTypeError, match=r"^run_layer: name: expected a string, got int 5$"):
        sparq.run_layer(x, w, name=5)
    with pytest.raises(sparq.InputTypeError, match=r"^window: rounding: expected 'trunc', 'round' or 'round_renorm'"):
        sparq.trim(np.arange(4, dtype=np.uint8), rounding=5)
    with pytest.raises(sparq.InputTypeError, match=r"^window: shift_set: expected an integer, got float 2\.5$"):
        sparq.trim(np.arange(4, dtype=np.uint8), (1, 2.5))
    with pytest.raises(sparq.InputError, match=r"^window: shift_set: must be in 0\.\.7, got 9$"):
        sparq.trim(np.arange(4, dtype=np.uint8), [1, 9])
    with pytest.raises(sparq.InputTypeError, match=r"^effective_activations: a has dtype <i2, expected \|u1$"):
        sparq.effective_activations(np.zeros(4, np.int16))
    with pytest.raises(sparq.InputTypeError, match=r"^run_network: network dict: nodes\[a\]\.w: an array of Python"):
        sparq.run_network({"name": "n", "nodes": [{"name": "a", "w": np.array([object()])}]})
    with pytest.raises(sparq.InputTypeError, match=r"^run_network: network dict: nodes: expected a number, string"):
        sparq.run_network({"name": "n", "nodes": {1, 2}})


def test_malformed_and_recursive_yaml(tmp_path):
    x, w = np.zeros((4, 4, 3), np.uint8), np.zeros((1, 1, 3, 2), np.int8)
    bad = tmp_path / "bad.yaml"
    bad.write_text("array: {rows: 8\n")  # yaml-cpp: "end of map flow not found": not a missing file
    with pytest.raises(sparq.InputError, match=r"bad\.yaml: malformed YAML: .*end of map flow not found") as e:
        sparq.run_layer(x, w, str(bad))
    assert not isinstance(e.value, FileNotFoundError)
    rec = tmp_path / "rec.yaml"
    rec.write_text("trace: &a {bundle: *a}\n")  # an alias inside itself: was a stack overflow (segfault)
    with pytest.raises(sparq.InputError, match=r"rec\.yaml: line 1: an alias refers to a node that contains it"):
        sparq.run_layer(x, w, str(rec))
    deep = tmp_path / "deep.yaml"
    deep.write_text("array: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(sparq.InputError, match=r"deep\.yaml: line 1: nested more than 64 levels deep"):
        sparq.run_layer(x, w, str(deep))
    shared = tmp_path / "shared.yaml"  # aliases that share a node (no cycle) stay fine
    shared.write_text("pe: &p {design: vsparq, shift_set: 3opt}\ncompare:\n  - *p\n  - {design: int8}\n")
    assert sparq.load_config(str(shared)).designs == ["vsparq-3opt", "int8"]
