"""sparq.run_network on a small network bundle written here (traces/README.md,
"Network bundles"): the int8 network against an independent numpy
reference, the first layer's accumulators bit for bit under a SPARQ design,
its cycles equal to run_layer's, and the totals equal to `sparq-sim infer`'s."""
import json
import subprocess

import numpy as np
import pytest

import brute
import sparq

IN_SCALE = 1 / 255


def write_bundle(d, seed=3):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (3, 6, 6, 3), dtype=np.uint8)
    nodes, arrays = [], {}

    def weighted(name, op, inp, shape, kh, kw, cin, cout, pad, scale):
        wf = rng.normal(0, 0.3, (kh, kw, cin, cout)).astype(np.float32)
        s = (np.abs(wf).reshape(-1, cout).max(axis=0) / 127).astype(np.float32)
        q = np.rint(wf / s).astype(np.int8)
        b = rng.normal(0, 0.1, cout).astype(np.float32)
        for k, a in (("w", q), ("s", s), ("b", b), ("f", wf)):
            np.save(d / f"{name}.{k}.npy", a)
        arrays[name] = (q, s, b)
        nodes.append({"name": name, "op": op, "inputs": [inp], "output_shape": shape, "kernel": [kh, kw],
                      "stride": [1, 1], "dilation": [1, 1], "padding": pad, "groups": 1, "activation_signed": False,
                      "activation_scale": scale,
                      "files": {"weights": f"{name}.w.npy", "weight_scales": f"{name}.s.npy",
                                "bias": f"{name}.b.npy", "float_weights": f"{name}.f.npy"}})

    weighted("c1", "conv2d", "input", [6, 6, 8], 3, 3, 3, 8, [1, 1, 1, 1], IN_SCALE)
    nodes.append({"name": "r1", "op": "relu", "inputs": ["c1"], "output_shape": [6, 6, 8]})
    weighted("c2", "conv2d", "r1", [6, 6, 6], 1, 1, 8, 6, [0, 0, 0, 0], 0.02)
    nodes.append({"name": "r2", "op": "relu", "inputs": ["c2"], "output_shape": [6, 6, 6]})
    nodes.append({"name": "gap", "op": "global_avg_pool", "inputs": ["r2"], "output_shape": [6]})
    weighted("fc", "dense", "gap", [5], 1, 1, 6, 5, [0, 0, 0, 0], 0.01)
    nodes.append({"name": "sm", "op": "softmax", "inputs": ["fc"], "output_shape": [5]})
    np.save(d / "images.npy", images)
    # The float network, for the bundle's reference outputs.
    logits = np.stack([float_net(img, arrays, d) for img in images]).astype(np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.save(d / "logits.npy", logits)
    np.save(d / "probs.npy", (e / e.sum(axis=1, keepdims=True)).astype(np.float32))
    manifest = {"format": "sparq-network-bundle", "format_version": 1, "name": "tiny", "model": {"name": "Tiny"},
                "input": {"name": "input", "shape": [6, 6, 3], "scale": IN_SCALE},
                "outputs": {"logits": "fc", "probabilities": "sm"},
                "images": {"count": 3, "pixels": "images.npy", "float_logits": "logits.npy",
                           "float_probabilities": "probs.npy"},
                "nodes": nodes}
    (d / "network.yaml").write_text(json.dumps(manifest, indent=1))
    return images, arrays


def float_net(img, arrays, d):
    x = img.astype(np.float64) * np.float32(IN_SCALE)
    f = {k: np.load(d / f"{k}.f.npy").astype(np.float64) for k in ("c1", "c2", "fc")}
    h = np.maximum(brute_conv_f(x, f["c1"], (1, 1, 1, 1)) + arrays["c1"][2], 0)
    h = np.maximum(brute_conv_f(h, f["c2"], (0, 0, 0, 0)) + arrays["c2"][2], 0)
    g = h.mean(axis=(0, 1))
    return g @ f["fc"].reshape(6, 5) + arrays["fc"][2]


def brute_conv_f(x, w, pad):
    kh, kw, cin, cout = w.shape
    A, Ho, Wo = brute.im2col(x, kh, kw, (1, 1), (1, 1), pad, 1, 0)
    return (A @ w.reshape(-1, cout)).reshape(Ho, Wo, cout)


def quantize(x, scale):
    return np.clip(np.rint(x / scale), 0, 255).astype(np.uint8)


def int8_net(img, arrays):
    """The exact-int8 network (first layer int8 as well), in float32 like the simulator."""
    def layer(q, name, pad, scale):
        w, s, b = arrays[name]
        acc = brute.conv_reference(q, w, pad=pad)
        return acc.astype(np.float64) * scale * s.astype(np.float64) + b, acc

    h, acc1 = layer(img, "c1", (1, 1, 1, 1), IN_SCALE)
    h = np.maximum(h, 0)
    h, _ = layer(quantize(h, 0.02), "c2", (0, 0, 0, 0), 0.02)
    g = np.maximum(h, 0).mean(axis=(0, 1))
    out, _ = layer(quantize(g, 0.01).reshape(1, 1, 6), "fc", (0, 0, 0, 0), 0.01)
    return out.reshape(5), acc1


@pytest.fixture
def bundle(tmp_path):
    d = tmp_path / "tiny"
    d.mkdir()
    images, arrays = write_bundle(d)
    return d, images, arrays


def test_network_int8_and_vsparq(bundle):
    d, images, arrays = bundle
    cfg = {"array": {"rows": 4, "cols": 4}, "compare": [{"design": "int8"}, {"design": "vsparq"}],
           "network": {"first_layer": "design"}}
    r = sparq.run_network(d, cfg, keep_accumulators=True)
    assert r.name == "tiny" and r.images == 3 and [x.name for x in r] == ["int8", "vsparq-5opt"]
    assert r["int8"].logits.shape == (3, 5) and r["int8"].probabilities.shape == (3, 5)
    for i, img in enumerate(images):
        ref, acc1 = int8_net(img, arrays)
        np.testing.assert_allclose(r["int8"].logits[i], ref, rtol=1e-4, atol=1e-4)
        if i == 0:
            np.testing.assert_array_equal(r["int8"].accumulators["c1"], acc1)
    v = r["vsparq-5opt"]
    np.testing.assert_array_equal(v.accumulators["c1"],
                                  brute.conv_reference(images[0], arrays["c1"][0], pad=(1, 1, 1, 1),
                                                       tables=brute.pair_tables("vsparq")))
    assert v.int8_layers == 0 and r["int8"].int8_layers == 3
    np.testing.assert_allclose(v.probabilities.sum(axis=1), 1, rtol=1e-5)
    # The timed image's first layer costs what run_layer says it costs.
    one = sparq.run_layer(images[0], arrays["c1"][0], {"array": {"rows": 4, "cols": 4}, "pe": {"design": "vsparq"}},
                          padding="same")
    assert v.layer_stats["c1"]["cycles"]["total"].value == one.cycles
    assert v.cycles == sum(s["cycles"]["total"].value for s in v.layer_stats.values())
    # The default: the first layer at int8, the others under the design.
    r2 = sparq.run_network(d, {"pe": {"design": "vsparq"}}, images=1)
    assert r2[0].int8_layers == 1 and r2[0].logits.shape == (1, 5) and r2[0].accumulators is None


def test_network_equals_cli(bundle, sim_exe, tmp_path):
    d, _, _ = bundle
    cfg = tmp_path / "net.yaml"
    cfg.write_text(json.dumps({"array": {"rows": 4, "cols": 4},
                               "compare": [{"design": "int8"}, {"design": "bsparq", "shift_set": "3opt"}],
                               "network": {"bundle": str(d)}}))
    out = tmp_path / "out"
    p = subprocess.run([sim_exe, "infer", str(cfg), "--out", str(out), "-q"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    res = json.loads((out / "results.json").read_text())
    r = sparq.run_network(config=cfg)
    for x in r:
        cli = res["designs"][x.name]
        assert x.cycles == flat(cli)["inference.cycles"] > 0


def flat(j, prefix=""):
    o = {}
    for k, v in j.items():
        if isinstance(v, dict) and "unit" in v:
            o[prefix + k] = v.get("value")
        elif isinstance(v, dict):
            o.update(flat(v, prefix + k + "."))
    return o


def test_network_errors(bundle, tmp_path):
    d, _, _ = bundle
    with pytest.raises(sparq.InputFileNotFoundError):
        sparq.run_network(tmp_path / "nowhere", {"pe": {"design": "int8"}})
    with pytest.raises(sparq.InputError, match="network.overrides.nope"):
        sparq.run_network(d, {"pe": {"design": "vsparq"}, "network": {"overrides": {"nope": "int8"}}})
    with pytest.raises(sparq.InputError, match="no network bundle"):
        sparq.run_network(None, {"pe": {"design": "vsparq"}})


def in_memory(d):
    """The bundle as a dict with numpy arrays in place of the array files."""
    m = json.loads((d / "network.yaml").read_text())
    for n in m["nodes"]:
        if "files" in n:
            n["files"] = {k: np.load(d / v) for k, v in n["files"].items()}
    for k in ("pixels", "float_logits", "float_probabilities"):
        m["images"][k] = np.load(d / m["images"][k])
    del m["format"], m["format_version"]
    return m


def test_network_in_memory_equals_bundle(bundle, in_tmp):
    d, _, _ = bundle
    cfg = {"array": {"rows": 4, "cols": 4}, "compare": [{"design": "int8"}, {"design": "vsparq", "budget": 3}]}
    a = sparq.run_network(d, cfg, keep_accumulators=True)
    before = sorted(in_tmp.rglob("*"))
    m = sparq.run_network(in_memory(d), cfg, keep_accumulators=True)
    assert sorted(in_tmp.rglob("*")) == before  # nothing written
    np.testing.assert_array_equal(m.float_logits, a.float_logits)
    for x, y in zip(a, m):
        np.testing.assert_array_equal(y.logits, x.logits)
        assert y.cycles == x.cycles
        for node in ("c1", "c2", "fc"):
            np.testing.assert_array_equal(y.accumulators[node], x.accumulators[node])
    bad = in_memory(d)
    bad["nodes"][0]["files"]["weights"] = bad["nodes"][0]["files"]["weights"][:, :, :2]
    with pytest.raises(sparq.InputError, match=r"<network dict>: node 'c1': weights: array '.*' has shape \[3, 3, 2, 8\], expected \[3, 3, 3, 8\]"):
        sparq.run_network(bad, cfg)
    bad = in_memory(d)
    bad["nodes"][2]["inputs"] = ["nope"]
    with pytest.raises(sparq.InputError, match="<network dict>: node 'c2'"):
        sparq.run_network(bad, cfg)
