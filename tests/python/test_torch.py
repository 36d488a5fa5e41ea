"""sparq.torch: a PyTorch model simulated from a Python session. The README's
example runs literally; the quantized layers are exactly what the trace
exporter writes; accumulators equal an independent numpy convolution (int8
exactly, also for the signed first layer under vSPARQ, which runs at int8);
the error statistics equal the dequantized accumulators against the model's
own output; bad inputs raise one clear error; nothing is written; without
torch, importing sparq.torch says what to install.

Skipped (with the reason) when PyTorch is not installed; CI installs it
(tools/torch_export/ci_test.sh) and runs this file from there as well."""
import contextlib
import io
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

if os.environ.get("SPARQ_REQUIRE_TORCH"):  # CI (tools/torch_export/ci_test.sh): a missing torch is a failure
    import torch
else:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: apt-get install python3-torch python3-torchvision (README)")
nn = torch.nn

import sparq  # noqa: E402
import sparq.torch as st  # noqa: E402

ROOT = pathlib.Path(os.environ.get("SPARQ_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT / "tools" / "torch_export"))
from test_torch_export import conv_im2col, randomize_batchnorms  # noqa: E402  (the exporter tests' helpers)
from test_torch_network import Small  # noqa: E402  (every op the network exporter maps)

PHOTOS = [f"/usr/share/darknet/data/{p}.jpg" for p in ("dog", "eagle", "horses")]
ARRAY = {"array": {"rows": 8, "cols": 8}}


class Net(nn.Module):
    """conv + BatchNorm (random statistics) + ReLU, a depthwise conv, a conv
    without ReLU before it (signed input to the next), pooling, Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.pw = nn.Conv2d(6, 8, 1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = torch.relu(self.pw(torch.relu(self.dw(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def make_net(seed=0):
    torch.manual_seed(seed)
    net = Net()
    with torch.no_grad():
        randomize_batchnorms(net, seed + 1)
    return net.eval()


def samples(seed=0, n=3):
    return torch.randn(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))  # signed, as a normalized image


def readme_example():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- sparq\.torch example \(tests/python/test_torch\.py runs it\) -->\n```python\n(.*?)```", text,
                  re.S)
    assert m, "README.md: the sparq.torch example block is missing"
    return m.group(1)


def test_readme_example_runs_literally(tmp_path, monkeypatch):
    if not all(os.path.isfile(p) for p in PHOTOS):
        pytest.skip("darknet's photos are not installed (apt-get install darknet; ci_test.sh does)")
    code = readme_example()
    assert 4 <= len([line for line in code.splitlines() if line.strip()]) <= 6
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    env = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), env)
    run = env["run"]
    assert [L.name for L in run] == ["conv1", "layer1.0.conv1", "fc"]
    assert run.designs == ["int8", "vsparq-5opt"]
    assert run["conv1"].signed and run["conv1"].folded_batchnorm == "bn1"
    assert run["conv1"].ran_at("vsparq-5opt") == "int8"
    np.testing.assert_array_equal(run["conv1"]["vsparq-5opt"].accumulators, run["conv1"].exact)
    assert env["acc"].shape == (64, 64) and env["acc"].dtype == np.int64
    assert not np.array_equal(env["acc"], run["layer1.0.conv1"].exact)
    printed = out.getvalue()
    assert "vsparq-5opt @int8" in printed and "layer1.0.conv1" in printed
    assert list(tmp_path.iterdir()) == []


def int_conv(L):
    """Exact int accumulators [pixels, C_out] of a quantized layer (numpy, float64 holds them exactly)."""
    q = L.quantized
    geo = dict(q.geometry)
    return conv_im2col(q.input.astype(np.float64), q.weights.astype(np.float64), geo).reshape(-1, geo["output_shape"][2])


def test_layers_accumulators_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    net = make_net()
    run = st.simulate(net, samples(), {**ARRAY, "pe": {"rounding": "round"}}, designs=["int8", "vsparq-3opt"])
    assert [L.name for L in run] == ["conv", "dw", "pw", "fc"]
    assert run["conv"].signed and run["conv"].folded_batchnorm == "bn"
    assert [L.signed for L in run][1:] == [False, False, False]
    assert not net.training
    for L in run:
        exact = int_conv(L)
        np.testing.assert_array_equal(L.exact.reshape(exact.shape), exact, err_msg=L.name)
        np.testing.assert_array_equal(L["int8"].accumulators.reshape(exact.shape), exact, err_msg=L.name)
        vs = L["vsparq-3opt"].accumulators.reshape(exact.shape)
        if L.signed:  # the paper's first layer at 8 bits: int8 under the pair design
            assert L.ran_at("vsparq-3opt") == "int8"
            np.testing.assert_array_equal(vs, exact)
        else:
            assert L.ran_at("vsparq-3opt") == "vsparq-3opt"
        # error statistics = the dequantized accumulators against the model's own (BN-folded) output
        y = L.quantized.float_output.astype(np.float64).reshape(exact.shape)
        for d, acc in (("int8", exact), ("vsparq-3opt", vs)):
            rel = np.linalg.norm(L.dequantize(acc) - y) / np.linalg.norm(y)
            assert L[d].layer_stats.value("error_vs_float.relative_l2") == pytest.approx(rel, rel=1e-6), (L.name, d)
        assert np.linalg.norm(L.dequantize(exact) - y) / np.linalg.norm(y) < 0.05, L.name
    assert any(not np.array_equal(L["vsparq-3opt"].accumulators, L.exact) for L in run if not L.signed)
    # the folded conv's output is conv then BatchNorm, before the ReLU
    with torch.no_grad():
        want = net.bn(net.conv(samples()[:1]))[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(run["conv"].quantized.float_output, want, rtol=1e-5, atol=1e-6)
    rows = run.summary()
    assert len(rows) == 8 and {r["design"] for r in rows} == {"int8", "vsparq-3opt"}
    assert all(r["cycles"] > 0 for r in rows)
    assert list(tmp_path.iterdir()) == [], "nothing written"


def test_same_arrays_as_the_bundle_exporter(tmp_path):
    net = make_net(3)
    x = samples(3)
    run = st.simulate(net, x, ARRAY, designs=["int8"], layers="conv,pw")
    ste = st.exporter
    ste.export_bundle(net, x[:1], [x[i:i + 1] for i in range(3)], "conv,pw", str(tmp_path / "b"), name="t",
                      model_info={"name": "t", "source": "test", "pretrained": False}, log=lambda s: None)
    import yaml
    man = yaml.safe_load((tmp_path / "b" / "manifest.yaml").read_text())
    for entry in man["layers"]:
        q = run[entry["name"]].quantized
        assert (entry["activation_signed"], entry["activation_scale"]) == (q.signed, q.scale)
        for key, arr in (("input", q.input), ("weights", q.weights), ("weight_scales", q.weight_scales),
                         ("bias", q.bias), ("float_output", q.float_output)):
            got = np.load(tmp_path / "b" / entry["files"][key]["path"])
            np.testing.assert_array_equal(got, arr, err_msg=f"{entry['name']}.{key}")


def test_inputs_as_tensors_lists_and_max_pixels():
    net = make_net()
    x = samples()
    a = st.simulate(net, x, ARRAY, designs=["vsparq-b3"], layers=["pw"], max_pixels=5)
    b = st.simulate(net, [x[0], x[1:]], ARRAY, designs=[{"design": "vsparq", "budget": 3}], layers="pw",
                    max_pixels=5)
    assert a["pw"]["vsparq-b3"].accumulators.shape == (5, 8)
    np.testing.assert_array_equal(a["pw"]["vsparq-b3"].accumulators, b["pw"][0].accumulators)
    c = st.simulate(net, x[:1], ARRAY, designs=["int8"], layers="pw", calibration=x)  # calibration given apart
    np.testing.assert_array_equal(c["pw"].quantized.input, a["pw"].quantized.input)


def test_bad_inputs_one_clear_error():
    net = make_net()
    with pytest.raises(sparq.InputTypeError, match="torch.nn.Module"):
        st.simulate("resnet18", samples())
    with pytest.raises(sparq.InputError, match="unknown design 'vsparq-9opt'"):
        st.simulate(net, samples(), designs=["vsparq-9opt"])
    with pytest.raises(sparq.InputError, match=r"expected \[N, C, H, W\]"):
        st.simulate(net, torch.zeros(16, 16))
    with pytest.raises(sparq.InputFileNotFoundError, match="nope.jpg"):
        st.simulate(net, ["/nonexistent/nope.jpg"])
    with pytest.raises(st.ExportError, match="no module named 'convv'"):
        st.simulate(net, samples(), layers="convv")
    with pytest.raises(sparq.InputError, match="no module named 'convv'"):  # every bad input is an InputError
        st.simulate(net, samples(), layers="convv")
    with pytest.raises(sparq.InputTypeError, match=r"simulate_network: images: expected image paths, got Tensor"):
        st.simulate_network(net, torch.zeros(1, 3, 16, 16))
    with pytest.raises(sparq.InputTypeError, match=r"simulate_network: calibration: expected image paths"):
        st.simulate_network(net, ["/nonexistent/nope.jpg"], calibration=[])


def test_argument_mistakes_named():
    net = make_net()
    with pytest.raises(sparq.InputFileNotFoundError, match=r"int8: configuration file not found .*designs=\['int8'\]"):
        st.simulate(net, samples(), ["int8"])  # designs given as the positional config
    with pytest.raises(sparq.InputTypeError, match=r"sample_inputs: expected float values .* got a torch\.uint8"):
        st.simulate(net, np.zeros((16, 16, 3), np.uint8))  # an image's pixels, HWC
    with pytest.raises(st.ExportError, match=r"^layers: expected 'all', a comma-separated string or a list"):
        st.simulate(net, samples(), layers=0)
    for empty in ("", [], " , "):
        with pytest.raises(st.ExportError, match=r"^layers: no layer named \(exportable layers: "):
            st.simulate(net, samples(), layers=empty)
    with pytest.raises(sparq.InputTypeError, match=r"^sparq\.torch\.simulate: max_pixels: expected an integer"):
        st.simulate(net, samples(), max_pixels=2.5)


def test_training_flags_restored_per_module():
    net = make_net().train()
    first = next(m for m in net.modules() if m is not net)
    first.eval()  # a mix of modes, as a fine-tuning script may leave it
    modes = [m.training for m in net.modules()]
    st.simulate(net, samples(), ARRAY, designs=["int8"], max_pixels=4)
    assert [m.training for m in net.modules()] == modes
    with pytest.raises(st.ExportError):
        st.simulate(net, samples(), layers="convv")
    assert [m.training for m in net.modules()] == modes
    with pytest.raises(sparq.InputError, match="array.rows"):
        st.simulate(net, samples(), {"array": {"rows": 0}})


def test_without_torch_the_import_says_what_to_install(tmp_path):
    shim = tmp_path / "torch"
    shim.mkdir()
    (shim / "__init__.py").write_text("raise ImportError(\"No module named 'torch'\", name='torch')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path))
    r = subprocess.run([sys.executable, "-c", "import sparq.torch"], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert "MissingDependency" in last and "cannot import 'torch'" in last
    assert "apt-get install" in last and "python3-torch python3-torchvision" in last and "MB" in last


def test_whole_network_as_infer_runs_it(tmp_path, monkeypatch):
    if not all(os.path.isfile(p) for p in PHOTOS):
        pytest.skip("darknet's photos are not installed (apt-get install darknet; ci_test.sh does)")
    import tempfile
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tempfile.tempdir = None  # re-read TMPDIR: any temporary file would go there, and none may be left
    try:
        torch.manual_seed(1)
        m = Small()
        with torch.no_grad():
            randomize_batchnorms(m, 2)
        m.eval()
        run = st.simulate_network(m, PHOTOS[:2], ARRAY, designs=["int8", "vsparq-5opt"], calibration=PHOTOS[2:],
                                  size=64)
    finally:
        tempfile.tempdir = None
    assert list(tmp_path.iterdir()) == [], "nothing is left on disk"
    assert [d.name for d in run] == ["int8", "vsparq-5opt"] and run.images == 2
    pre = st.exporter.Preprocess(64 * 256 // 224, 64, normalize=True)  # simulate_network's default
    with torch.no_grad():
        want = torch.cat([m(st.exporter.load_image(p, pre)) for p in PHOTOS[:2]]).numpy()
    np.testing.assert_allclose(run.float_logits, want, rtol=1e-5, atol=1e-6)
    n_weighted = sum(isinstance(x, (nn.Conv2d, nn.Linear)) for x in m.modules())
    assert run["int8"].int8_layers == n_weighted
    assert run["vsparq-5opt"].int8_layers == 1  # the first convolution, as the paper; the rest take ReLU outputs
    assert run["vsparq-5opt"].logits.shape == want.shape
    assert not np.array_equal(run["vsparq-5opt"].logits, run["int8"].logits)

