#!/usr/bin/python3
"""End-to-end tests of sparq_torch_export.py (plain unittest).

Run from this directory with Debian's python3 (ci_test.sh installs the
packages first):
    /usr/bin/python3 -m unittest -v test_torch_export
    /usr/bin/python3 test_torch_export.py        # also prints 'N passed, N failed'

What is checked, on a real photo from Debian's darknet package:
- ResNet-18 (torchvision, random weights, torch.manual_seed(0), pretrained:
  false) exported through the CLI for conv1, layer1.0.conv1 (3x3),
  layer2.0.downsample.0 (1x1, stride 2) and fc (dense): the manifest parses
  and uses only keys sim/bundle.cpp accepts, every sha256 matches, every array
  has the dtype, order and shape traces/README.md prescribes.
- float_output is reproduced by this file's own numpy im2col convolution of
  the dequantized input and weights, within the int8 quantization error: a
  per-output bound derived from the actual quantization errors (see
  QuantErrorBound below), and a relative L2 error under REL_L2_TOL.
- The quantized input and weights are within half a step of the float
  tensors (taken by this file's own forward hooks on the same model), and the
  activation scales match mean-of-max calibration recomputed here.
- A layer with negative input (conv1 on the ImageNet-normalized image; a
  conv fed by a conv without ReLU) is flagged activation_signed and reported.
- A small net through --module path/to/file.py:factory (from another
  directory): depthwise (multiplier 2, dilation 2), grouped conv with
  padding='same' (asymmetric), a zero weight channel, bias, Linear, a
  BatchNorm with random statistics folded into the conv before it; with
  --no-normalize the first layer's input is the exact pixels.
- The command line: --module forms and their errors, the default --out, the
  one-paragraph message (exit 3) when torch or numpy cannot be imported.
- With a sparq-sim build: the signed conv1 runs at int8 under vSPARQ
  (`sparq-sim run`), its accumulators the exact int8 ones.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import yaml

try:
    import torch
    import torch.nn as nn
    import torchvision
    from PIL import Image
except ImportError as e:  # pragma: no cover - explains a wrong interpreter
    raise ImportError(
        f"{e}: run with Debian's /usr/bin/python3 after 'apt-get install python3-torch python3-torchvision "
        "python3-numpy python3-yaml python3-pil darknet' (tools/torch_export/ci_test.sh does both)"
    ) from e

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sparq_torch_export as ste  # noqa: E402

DATA = "/usr/share/darknet/data"
IMAGE = os.path.join(DATA, "dog.jpg")
CALIB = [os.path.join(DATA, f) for f in ("eagle.jpg", "giraffe.jpg", "horses.jpg", "person.jpg")]
RESNET_LAYERS = ["conv1", "layer1.0.conv1", "layer2.0.downsample.0", "fc"]
SEED = 0

# Relative L2 error ||y_q - y_float|| / ||y_float|| allowed between float_output
# and the dequantized int8 convolution. 8-bit rounding noise (step/2 uniform
# on activations and on per-channel weights) gives about 35-45 dB SQNR
# (relative L2 0.005-0.02) on these layers; 0.05 (26 dB) leaves room for
# values clipped by mean-of-max calibration, while any layout error (a wrong
# transpose, padding or group mapping) gives about 1.
REL_L2_TOL = 0.05

TOP_KEYS = {"format", "format_version", "name", "model", "image", "calibration", "exporter", "layers", "notes"}
LAYER_KEYS = {"name", "op", "input_shape", "output_shape", "kernel", "stride", "dilation", "padding", "groups",
              "activation_signed", "activation_scale", "input_source", "files", "meta"}
FILE_KEYS = {"input", "weights", "weight_scales", "bias", "float_output"}


# ---------------------------------------------------------------------------
# Independent helpers (none of them calls the exporter)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_npy(path):
    """(array, header dict) with the header read by numpy's format module."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    return np.load(path, allow_pickle=False), {"shape": shape, "fortran_order": fortran, "descr": dtype.str}


def conv_im2col(a_hwc, w_hwio, L):
    """Convolution per traces/README.md: a [H, W, C_in], w [KH, KW, C_in/g,
    C_out], output channel oc reads input channel group oc // (C_out/g).
    Lowered to one GEMM per group with the reduction index tap-major,
    channel-minor: k = (kh*KW + kw)*C_g + c. float64."""
    H, W, C = L["input_shape"]
    Ho, Wo, Co = L["output_shape"]
    KH, KW = L["kernel"]
    SH, SW = L["stride"]
    DH, DW = L["dilation"]
    top, bottom, left, right = L["padding"]
    G = L["groups"]
    Cg, Ng = C // G, Co // G
    a = np.zeros((H + top + bottom, W + left + right, C), dtype=np.float64)
    a[top:top + H, left:left + W, :] = a_hwc
    out = np.empty((Ho, Wo, Co), dtype=np.float64)
    for g in range(G):
        cols = []
        for kh in range(KH):
            for kw in range(KW):
                y0, x0 = kh * DH, kw * DW
                cols.append(a[y0:y0 + (Ho - 1) * SH + 1:SH, x0:x0 + (Wo - 1) * SW + 1:SW, g * Cg:(g + 1) * Cg])
        A = np.concatenate(cols, axis=2).reshape(Ho * Wo, KH * KW * Cg)
        B = np.asarray(w_hwio[:, :, :, g * Ng:(g + 1) * Ng], dtype=np.float64).reshape(KH * KW * Cg, Ng)
        out[:, :, g * Ng:(g + 1) * Ng] = (A @ B).reshape(Ho, Wo, Ng)
    return out


def torch_weights_hwio(module, bn=None):
    """The module's float weights in the bundle's HWIO layout (own
    transposition), with the BatchNorm2d `bn` (eval mode) folded in if given:
    w * gamma / sqrt(running_var + eps) per output channel."""
    w = module.weight.detach().double()
    if bn is not None:
        w = w * (bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)).reshape(-1, 1, 1, 1)
    w = w.numpy()
    if isinstance(module, nn.Linear):
        return w.T.reshape(1, 1, w.shape[1], w.shape[0])
    return w.transpose(2, 3, 1, 0)


def randomize_batchnorms(model, seed):
    """BatchNorm statistics and affine parameters far from the identity, so
    that a fold that did not happen (or happened wrongly) shows."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 2 + 0.25)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.2)


def float_inputs(model, x, names):
    """Each named layer's float input (first call) as [H, W, C] float64,
    taken with this file's own hooks."""
    modules = dict(model.named_modules())
    got, hs = {}, []
    for n in names:
        def pre(mod, args, n=n):
            if n not in got:
                t = args[0].detach().double()
                got[n] = t[0].permute(1, 2, 0).numpy().copy() if t.dim() == 4 else t.reshape(1, 1, -1).numpy().copy()
        hs.append(modules[n].register_forward_pre_hook(pre))
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return got


def pixels_like_torchvision(path, resize, crop):
    """uint8 [crop, crop, 3]: shorter side to `resize` (bilinear, PIL),
    then the center crop, as torchvision's Resize and CenterCrop do."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = resize, int(resize * h / w)
    else:
        nw, nh = int(resize * w / h), resize
    img = img.resize((nw, nh), Image.BILINEAR)
    left, top = int(round((nw - crop) / 2.0)), int(round((nh - crop) / 2.0))
    return np.asarray(img.crop((left, top, left + crop, top + crop)), dtype=np.uint8)


class QuantErrorBound:
    """With a = a_q + e_a and w = w_q + e_w (float = dequantized + error):
        a*w - a_q*w_q = a_q*e_w + e_a*w_q + e_a*e_w,
    so per output |y_float - y_q| <= conv(|a_q|, |e_w|) + conv(|e_a|, |w_q|)
    + conv(|e_a|, |e_w|), a strict bound from the actual errors (|e_a| <=
    scale/2 except where calibration clips, |e_w| <= w_scale/2). Float32
    accumulation in the model adds at most a few (K+2)*2^-24 * conv(|a|,|w|);
    FP_SLACK allows 8x that for blocked/vectorized summation orders."""

    FP_SLACK = 8.0

    def __init__(self, L, a_float, a_q, w_float, w_q):
        K = L["kernel"][0] * L["kernel"][1] * L["input_shape"][2] // L["groups"]
        ea, ew = np.abs(a_float - a_q), np.abs(w_float - w_q)
        self.bound = conv_im2col(np.abs(a_q), ew, L) + conv_im2col(ea, np.abs(w_q), L) + conv_im2col(ea, ew, L)
        self.fp = self.FP_SLACK * (K + 2) * 2.0 ** -24 * conv_im2col(np.abs(a_float), np.abs(w_float), L) + 1e-6


# ---------------------------------------------------------------------------


class BundleChecks:
    """Checks shared by the bundles below; self.bundle, self.manifest set."""

    def layer(self, name):
        return next(L for L in self.manifest["layers"] if L["name"] == name)

    def array(self, L, key):
        ref = L["files"][key]
        path = os.path.join(self.bundle, ref["path"])
        self.assertEqual(sha256(path), ref["sha256"], f"{L['name']}: {key} sha256")
        return read_npy(path)[0]

    def check_format(self):
        m = self.manifest
        self.assertEqual(m["format"], "sparq-trace-bundle")
        self.assertEqual(m["format_version"], 1)
        self.assertLessEqual(set(m), TOP_KEYS)
        self.assertEqual(m["exporter"]["name"], "sparq-export-torch")
        self.assertEqual(m["exporter"]["version"], ste.EXPORTER_VERSION)
        for p in ("torch", "torchvision", "numpy"):
            self.assertIn(p, m["exporter"]["packages"])
        self.assertEqual(m["calibration"]["method"], "mean-of-max")
        listed = {"manifest.yaml"}
        for L in m["layers"]:
            self.assertLessEqual(set(L), LAYER_KEYS, L["name"])
            self.assertLessEqual(set(L["files"]), FILE_KEYS, L["name"])
            for key in ("input", "weights", "weight_scales"):
                self.assertIn(key, L["files"])
            H, W, C = L["input_shape"]
            Ho, Wo, Co = L["output_shape"]
            KH, KW = L["kernel"]
            G = L["groups"]
            t, b, l, r = L["padding"]
            self.assertEqual(Ho, (H + t + b - L["dilation"][0] * (KH - 1) - 1) // L["stride"][0] + 1)
            self.assertEqual(Wo, (W + l + r - L["dilation"][1] * (KW - 1) - 1) // L["stride"][1] + 1)
            self.assertEqual((C % G, Co % G), (0, 0))
            want = {
                "input": ("|i1" if L["activation_signed"] else "|u1", (H, W, C)),
                "weights": ("|i1", (KH, KW, C // G, Co)),
                "weight_scales": ("<f4", (Co,)),
                "bias": ("<f4", (Co,)),
                "float_output": ("<f4", (Ho, Wo, Co)),
            }
            for key, ref in L["files"].items():
                path = os.path.join(self.bundle, ref["path"])
                listed.add(ref["path"])
                self.assertEqual(sha256(path), ref["sha256"], f"{L['name']}: {key}")
                arr, hdr = read_npy(path)
                self.assertFalse(hdr["fortran_order"], path)
                self.assertEqual((hdr["descr"], tuple(hdr["shape"])), want[key], f"{L['name']}: {key}")
            w = self.array(L, "weights")
            self.assertTrue(np.all(w >= -127), L["name"])
            s = self.array(L, "weight_scales")
            self.assertTrue(np.all(s > 0) and np.all(np.isfinite(s)), L["name"])
            self.assertGreater(L["activation_scale"], 0)
            if L["op"] == "dense":
                self.assertEqual((H, W, KH, KW), (1, 1, 1, 1))
            if L["op"] == "depthwise_conv2d":
                self.assertEqual(G, C)
        self.assertEqual(set(os.listdir(self.bundle)), listed, "the bundle holds exactly the listed files")

    def check_reproduces_float_output(self, model, x, names, report):
        a_float = float_inputs(model, x, names)
        modules = dict(model.named_modules())
        self.assertEqual({n: self.layer(n)["meta"].get("folded_batchnorm") for n in names},
                         {n: self.FOLDS.get(n) for n in names}, "BatchNorms folded")
        for n in names:
            L = self.layer(n)
            s_a = L["activation_scale"]
            q_in = self.array(L, "input").astype(np.float64)
            a_q = q_in * s_a
            w_scales = self.array(L, "weight_scales").astype(np.float64)
            w_q = self.array(L, "weights").astype(np.float64) * w_scales
            bias = self.array(L, "bias").astype(np.float64) if "bias" in L["files"] else 0.0
            y_float = self.array(L, "float_output").astype(np.float64)
            y_q = conv_im2col(a_q, w_q, L) + bias

            # the stored tensors are the model's, quantized to within half a step
            bn = modules[self.FOLDS[n]] if n in self.FOLDS else None
            w_float = torch_weights_hwio(modules[n], bn)
            self.assertTrue(np.all(np.abs(w_float - w_q) <= w_scales / 2 * (1 + 1e-6) + 1e-12), f"{n}: weights")
            a = a_float[n]
            limit = 127 if L["activation_signed"] else 255
            inside = np.abs(a) <= (limit + 0.5) * s_a  # rounds to a level in range
            self.assertTrue(np.all(np.abs(a - a_q)[inside] <= s_a / 2 * (1 + 1e-6)), f"{n}: activations")
            self.assertTrue(np.all(q_in[~inside] == np.sign(a[~inside]) * limit), f"{n}: saturation")
            if not L["activation_signed"]:
                self.assertGreaterEqual(a.min(), 0.0, n)

            err = np.abs(y_q - y_float)
            qb = QuantErrorBound(L, a, a_q, w_float, w_q)
            worst = float(np.max(err / (qb.bound + qb.fp)))
            self.assertLessEqual(worst, 1.0, f"{n}: |y_q - float_output| exceeds the int8 quantization bound")
            rel = float(np.linalg.norm(y_q - y_float) / np.linalg.norm(y_float))
            self.assertLess(rel, REL_L2_TOL, f"{n}: relative L2 error {rel:.4f}")
            report.append(
                f"{n:24s} {L['op']:16s} signed={int(L['activation_signed'])} relL2={rel:.5f} "
                f"SQNR={-20 * np.log10(rel):.2f} dB max|err|={err.max():.5f} max|y|={np.abs(y_float).max():.3f} "
                f"err/bound max={worst:.3f} mean bound={qb.bound.mean():.5f}"
            )


REPORT = []


class TestResNet18Export(unittest.TestCase, BundleChecks):
    FOLDS = {"conv1": "bn1", "layer1.0.conv1": "layer1.0.bn1", "layer2.0.downsample.0": "layer2.0.downsample.1"}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="torch_export_test_")
        cls.bundle = os.path.join(cls.tmp, "resnet18-dog")
        cmd = [sys.executable, os.path.join(HERE, "sparq_torch_export.py"), "--model", "resnet18", "--random-weights",
               "--seed", str(SEED), "--image", IMAGE, "--calib", *CALIB, "--layers", ",".join(RESNET_LAYERS),
               "--out", cls.bundle]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise AssertionError(f"exporter failed ({r.returncode}):\n{r.stderr}")
        cls.stderr = r.stderr
        with open(os.path.join(cls.bundle, "manifest.yaml")) as f:
            cls.manifest = yaml.safe_load(f)
        torch.manual_seed(SEED)
        cls.model = torchvision.models.resnet18(weights=None).eval()
        cls.x = ste.load_image(IMAGE)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_manifest_and_arrays_follow_the_format(self):
        self.check_format()
        self.assertEqual([L["name"] for L in self.manifest["layers"]], RESNET_LAYERS)

    def test_provenance(self):
        m = self.manifest
        self.assertIs(m["model"]["pretrained"], False)
        self.assertEqual(m["model"]["name"], "resnet18")
        self.assertEqual(m["model"]["seed"], SEED)
        self.assertEqual(m["image"]["path"], IMAGE)
        self.assertEqual(m["image"]["sha256"], sha256(IMAGE))
        self.assertEqual(m["image"]["debian_package"], "darknet")
        self.assertTrue(m["image"]["package_version"])
        self.assertEqual(m["calibration"]["images"], CALIB)
        self.assertEqual([c["sha256"] for c in m["calibration"]["files"]], [sha256(p) for p in CALIB])

    def test_geometry(self):
        g = {L["name"]: (L["op"], L["input_shape"], L["output_shape"], L["kernel"], L["stride"], L["padding"],
                         L["groups"]) for L in self.manifest["layers"]}
        self.assertEqual(g["conv1"], ("conv2d", [224, 224, 3], [112, 112, 64], [7, 7], [2, 2], [3, 3, 3, 3], 1))
        self.assertEqual(g["layer1.0.conv1"], ("conv2d", [56, 56, 64], [56, 56, 64], [3, 3], [1, 1], [1, 1, 1, 1], 1))
        self.assertEqual(g["layer2.0.downsample.0"],
                         ("conv2d", [56, 56, 64], [28, 28, 128], [1, 1], [2, 2], [0, 0, 0, 0], 1))
        self.assertEqual(g["fc"], ("dense", [1, 1, 512], [1, 1, 1000], [1, 1], [1, 1], [0, 0, 0, 0], 1))
        self.assertIn("bias", self.layer("fc")["files"])
        self.assertIn("bias", self.layer("conv1")["files"])  # bias=False, but bn1 folded in gives one
        self.assertEqual(self.layer("layer1.0.conv1")["input_source"], "maxpool")

    def test_float_output_within_int8_quantization_error(self):
        self.check_reproduces_float_output(self.model, self.x, RESNET_LAYERS, REPORT)

    def test_float_output_is_the_models(self):
        # float_output is the module's own output on the float input, bias included
        outs, hs = {}, []
        modules = dict(self.model.named_modules())
        def hook(m, i, o, n):  # returns None: a hook's return value would replace the module's output
            outs.setdefault(n, o.detach().clone())

        for n in RESNET_LAYERS:  # a folded conv's output is its BatchNorm's (before the in-place ReLU)
            hs.append(modules[self.FOLDS.get(n, n)].register_forward_hook(lambda m, i, o, n=n: hook(m, i, o, n)))
        with torch.no_grad():
            self.model(self.x)
        for h in hs:
            h.remove()
        for n in RESNET_LAYERS:
            o = outs[n].numpy()
            want = o[0].transpose(1, 2, 0) if o.ndim == 4 else o.reshape(1, 1, -1)
            np.testing.assert_array_equal(self.array(self.layer(n), "float_output"), want, err_msg=n)

    def test_activation_scales_are_mean_of_max(self):
        maxes = {n: [] for n in RESNET_LAYERS}
        for p in CALIB:
            for n, a in float_inputs(self.model, ste.load_image(p), RESNET_LAYERS).items():
                maxes[n].append(np.abs(a).max() if self.layer(n)["activation_signed"] else a.max())
        for n in RESNET_LAYERS:
            div = 127.0 if self.layer(n)["activation_signed"] else 255.0
            want = float(np.mean(maxes[n])) / div
            got = self.layer(n)["activation_scale"]
            self.assertEqual(got, float(np.float32(got)), f"{n}: a float32 value")
            self.assertLessEqual(abs(got - want), 2 ** -23 * want, n)

    def test_negative_input_is_flagged_signed(self):
        conv1 = self.layer("conv1")
        self.assertIs(conv1["activation_signed"], True)
        q = self.array(conv1, "input")
        self.assertEqual(q.dtype, np.int8)
        self.assertLess(q.min(), 0)
        self.assertIn("notice: layer 'conv1'", self.stderr)
        self.assertIn("activation_signed: true", self.stderr)
        for n in RESNET_LAYERS[1:]:  # post-ReLU inputs
            self.assertIs(self.layer(n)["activation_signed"], False, n)
            self.assertNotIn(f"notice: layer '{n}'", self.stderr)

    def test_preprocessing_matches_torchvision_eval_transform(self):
        px = pixels_like_torchvision(IMAGE, 256, 224).astype(np.float64) / 255.0
        want = (px - np.array(ste.IMAGENET_MEAN)) / np.array(ste.IMAGENET_STD)
        got = self.x[0].permute(1, 2, 0).double().numpy()
        self.assertLess(np.abs(got - want).max(), 1e-5)


# A small net for the --module path: every geometry feature ResNet-18 lacks.
class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 8, 3, padding=1)
        self.bn_a = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 16, 3, padding=2, dilation=2, groups=8)  # depthwise, multiplier 2
        self.gconv = nn.Conv2d(16, 12, (2, 4), padding="same", dilation=(1, 2), groups=4, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = torch.relu(self.bn_a(self.conv_a(x)))
        x = self.dw(x)  # no ReLU: gconv sees negative inputs
        x = torch.relu(self.gconv(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def tiny_net():
    net = TinyNet()
    with torch.no_grad():
        net.gconv.weight[5].zero_()  # an all-zero output channel
    randomize_batchnorms(net, 7)
    return net


TINY_LAYERS = ["conv_a", "dw", "gconv", "fc"]


class TestModuleExport(unittest.TestCase, BundleChecks):
    FOLDS = {"conv_a": "bn_a"}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="torch_export_test_")
        cls.bundle = os.path.join(cls.tmp, "tiny")
        # --module by file path, from a directory that does not hold the file
        cmd = [sys.executable, os.path.join(HERE, "sparq_torch_export.py"), "--module",
               os.path.relpath(os.path.join(HERE, "test_torch_export.py"), cls.tmp) + ":tiny_net",
               "--random-weights", "--seed", "3", "--image", IMAGE, "--calib", *CALIB[:2], "--resize", "40", "--crop",
               "32", "--no-normalize", "--out", cls.bundle]
        r = subprocess.run(cmd, cwd=cls.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise AssertionError(f"exporter failed ({r.returncode}):\n{r.stderr}")
        cls.stderr = r.stderr
        with open(os.path.join(cls.bundle, "manifest.yaml")) as f:
            cls.manifest = yaml.safe_load(f)
        torch.manual_seed(3)
        cls.model = tiny_net().eval()
        cls.x = ste.load_image(IMAGE, ste.Preprocess(40, 32, normalize=False))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_format(self):
        self.check_format()
        self.assertEqual([L["name"] for L in self.manifest["layers"]], TINY_LAYERS)  # --layers all
        self.assertIs(self.manifest["model"]["pretrained"], False)

    def test_grouped_geometry(self):
        dw, g = self.layer("dw"), self.layer("gconv")
        self.assertEqual((dw["op"], dw["groups"], dw["dilation"], dw["padding"]), ("depthwise_conv2d", 8, [2, 2], [2, 2, 2, 2]))
        self.assertEqual(self.array(dw, "weights").shape, (3, 3, 1, 16))
        # PyTorch 'same': total d*(k-1) per axis, the odd pixel at the bottom/right
        self.assertEqual((g["op"], g["groups"], g["kernel"], g["dilation"], g["padding"]),
                         ("conv2d", 4, [2, 4], [1, 2], [0, 1, 3, 3]))
        self.assertEqual(self.array(g, "weights").shape, (2, 4, 4, 12))

    def test_batchnorm_folded_before_quantization(self):
        L = self.layer("conv_a")
        self.assertEqual(L["meta"]["folded_batchnorm"], "bn_a")
        m = self.model
        w_deq = self.array(L, "weights").astype(np.float64) * self.array(L, "weight_scales").astype(np.float64)
        step = self.array(L, "weight_scales").astype(np.float64)
        folded, raw = torch_weights_hwio(m.conv_a, m.bn_a), torch_weights_hwio(m.conv_a)
        self.assertTrue(np.all(np.abs(w_deq - folded) <= step / 2 * (1 + 1e-6)), "conv_a: folded weights")
        self.assertGreater(np.max(np.abs(w_deq - raw) / step), 5, "the fold changed the weights by many steps")
        f = (m.bn_a.weight / torch.sqrt(m.bn_a.running_var + m.bn_a.eps)).detach().double().numpy()
        want_b = (m.conv_a.bias.detach().double().numpy() - m.bn_a.running_mean.double().numpy()) * f + \
            m.bn_a.bias.detach().double().numpy()
        np.testing.assert_allclose(self.array(L, "bias"), want_b, rtol=1e-6, atol=1e-7)
        # float_output is conv_a then bn_a, before the ReLU: it has negative values
        self.assertLess(float(self.array(L, "float_output").min()), 0)

    def test_zero_weight_channel(self):
        g = self.layer("gconv")
        self.assertEqual(g["meta"]["zero_weight_channels"], [5])
        self.assertEqual(float(self.array(g, "weight_scales")[5]), 1.0)
        self.assertFalse(np.any(self.array(g, "weights")[..., 5]))

    def test_float_output_within_int8_quantization_error(self):
        self.check_reproduces_float_output(self.model, self.x, TINY_LAYERS, REPORT)

    def test_pixels_exact_without_normalization(self):
        L = self.layer("conv_a")
        self.assertEqual(L["input_source"], "image_pixels")
        self.assertIs(L["activation_signed"], False)
        self.assertEqual(L["activation_scale"], float(np.float32(1.0 / 255.0)))  # as traces/README.md writes it
        np.testing.assert_array_equal(self.array(L, "input"), pixels_like_torchvision(IMAGE, 40, 32))

    def test_signed_inside_the_net(self):
        self.assertIs(self.layer("gconv")["activation_signed"], True)
        self.assertIn("notice: layer 'gconv'", self.stderr)
        self.assertIs(self.layer("dw")["activation_signed"], False)


class TestRejections(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="torch_export_test_")
        self.x = torch.rand(1, 3, 8, 8)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export(self, net, out="b", **kw):
        return ste.export_bundle(net, self.x, [self.x], "all", os.path.join(self.tmp, out), name="t",
                                 model_info={"name": "t", "source": "test", "pretrained": False}, log=lambda s: None, **kw)

    def test_non_zero_padding_mode(self):
        with self.assertRaisesRegex(ste.ExportError, "padding_mode 'reflect'"):
            self.export(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"))

    def test_linear_on_3d_input(self):
        net = nn.Sequential(nn.Flatten(2), nn.Linear(64, 5))
        with self.assertRaisesRegex(ste.ExportError, r"2-D \[1, C\]"):
            self.export(net)

    def test_existing_bundle_is_kept_without_force(self):
        net = nn.Conv2d(3, 4, 3)
        self.export(net)
        before = sha256(os.path.join(self.tmp, "b", "manifest.yaml"))
        with self.assertRaisesRegex(ste.ExportError, "exists"):
            self.export(net)
        with self.assertRaises(ste.ExportError):
            self.export(nn.Conv2d(3, 4, 3, padding_mode="circular", padding=1), force=True)
        self.assertEqual(sha256(os.path.join(self.tmp, "b", "manifest.yaml")), before)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["b"], "no temporary directory left behind")
        self.export(nn.Conv2d(3, 4, 1), force=True)
        self.assertNotEqual(sha256(os.path.join(self.tmp, "b", "manifest.yaml")), before)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["b"])


EXPORTER = os.path.join(HERE, "sparq_torch_export.py")
NETWORK_EXPORTER = os.path.join(HERE, "sparq_torch_network.py")
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_cli(args, cwd, env=None):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def sparq_sim():
    """$SPARQ_SIM, else this checkout's build/dev or build/release sparq-sim, else None."""
    for p in (os.environ.get("SPARQ_SIM"), os.path.join(ROOT, "build/dev/sim/sparq-sim"),
              os.path.join(ROOT, "build/release/sim/sparq-sim")):
        if p and os.access(p, os.X_OK):
            return p
    return None


class TestCommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="torch_export_test_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_module_forms(self):
        proj = os.path.join(self.tmp, "proj", "nets")
        os.makedirs(proj)
        for f, text in (("__init__.py", ""), ("mynet.py", "import torch.nn as nn\n\n\ndef f():\n"
                                                          "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())\n")):
            with open(os.path.join(proj, f), "w") as fh:
                fh.write(text)
        # pkg.mod:factory through the CLI: importable from the current directory ...
        r = run_cli([EXPORTER, "--module", "nets.mynet:f", "--list-layers"], cwd=os.path.dirname(proj))
        self.assertEqual((r.returncode, r.stdout.split()), (0, ["0"]), r.stderr)
        # ... and otherwise a one-line error suggesting the path form, no traceback
        r = run_cli([EXPORTER, "--module", "nets.mynet:f", "--list-layers"], cwd=self.tmp)
        self.assertEqual(r.returncode, 2)
        self.assertIn("error: cannot import 'nets.mynet'", r.stderr)
        self.assertIn("path/to/file.py:f", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        # path/to/file.py:factory from another directory, absolute or relative (in process: build_model)
        cwd = os.getcwd()
        os.chdir(self.tmp)
        try:
            for spec in (os.path.join(proj, "mynet.py:f"), os.path.join("proj", "nets", "mynet.py") + ":f"):
                net, info = ste.build_model(module=spec)
                self.assertEqual(ste.exportable_layers(net), ["0"], spec)
                self.assertEqual(info["name"], "f")
            for spec, msg in ((os.path.join(self.tmp, "nope.py:f"), "no such file"),
                              (os.path.join(proj, "mynet.py:nope"), "has no 'nope'"),
                              ("no_colon", "must be 'pkg.mod:factory' or 'path/to/file.py:factory'")):
                with self.assertRaisesRegex(ste.ExportError, msg):
                    ste.build_model(module=spec)
        finally:
            os.chdir(cwd)
        with open(os.path.join(self.tmp, "broken.py"), "w") as f:
            f.write("import torch\ndef f(:\n")
        r = run_cli([EXPORTER, "--module", "broken.py:f", "--list-layers"], cwd=self.tmp)
        self.assertEqual(r.returncode, 2)
        self.assertIn("SyntaxError", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_missing_torch_is_one_clear_message(self):
        # a shim package that makes 'import torch' (then 'import numpy') fail, first on sys.path
        for mod in ("torch", "numpy"):
            shim = os.path.join(self.tmp, "shim-" + mod, mod)
            os.makedirs(shim)
            with open(os.path.join(shim, "__init__.py"), "w") as f:
                f.write(f"raise ImportError(\"No module named '{mod}'\", name='{mod}')\n")
            env = dict(os.environ, PYTHONPATH=os.path.dirname(shim))
            for script, args in ((EXPORTER, ["--model", "resnet18", "--random-weights", "--image", IMAGE]),
                                 (NETWORK_EXPORTER, ["--model", "resnet18", "--random-weights", "--images", IMAGE])):
                r = run_cli([script, *args], cwd=self.tmp, env=env)
                what = f"{os.path.basename(script)} without {mod}"
                self.assertEqual(r.returncode, 3, what + ": " + r.stderr)
                self.assertNotIn("Traceback", r.stderr, what)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, what + ": " + r.stderr)
                for needed in (f"cannot import '{mod}'", "apt-get install", "python3-torch python3-torchvision",
                               "147 MB", "621 MB"):
                    self.assertIn(needed, r.stderr, what)
                self.assertEqual(r.stdout, "")

    def test_unknown_model_named_before_weights(self):
        # A typo in --model is the error, not the missing weights flag.
        for script, images in ((EXPORTER, "--image"), (NETWORK_EXPORTER, "--images")):
            r = run_cli([script, "--model", "resnet99", images, IMAGE, "--out", os.path.join(self.tmp, "x")],
                        cwd=self.tmp)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr.strip(), "error: torchvision.models has no model 'resnet99'")

    def test_default_out_is_traces_model_image(self):
        want = os.path.join(ROOT, "traces", "tiny_net-dog")
        self.assertEqual(ste.default_out("tiny_net", IMAGE), want)
        self.assertEqual(ste.default_out("my model/v2", "/x/a b.jpg"), os.path.join(ROOT, "traces", "my_model_v2-a_b"))
        if os.path.exists(want):
            self.skipTest(f"{want} exists already; not touching it")
        args = [EXPORTER, "--module", os.path.join(HERE, "test_torch_export.py:tiny_net"), "--image", IMAGE,
                "--resize", "20", "--crop", "16", "--layers", "conv_a", "--quiet"]
        try:
            r = run_cli(args, cwd=self.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), want)
            with open(os.path.join(want, "manifest.yaml")) as f:
                self.assertEqual(yaml.safe_load(f)["name"], "tiny_net-dog")
            before = sha256(os.path.join(want, "manifest.yaml"))
            r = run_cli(args, cwd=self.tmp)  # no overwrite without --force
            self.assertEqual(r.returncode, 2)
            self.assertIn("exists (pass force=True / --force", r.stderr)
            self.assertEqual(sha256(os.path.join(want, "manifest.yaml")), before)
        finally:
            shutil.rmtree(want, ignore_errors=True)


class TestSignedFirstLayerSimulated(unittest.TestCase):
    """ResNet-18's conv1 on the ImageNet-normalized photo has signed input:
    sparq-sim run runs it at int8 under vSPARQ (as the paper keeps the first
    layer at 8 bits), so its accumulators are the exact int8 ones, while
    the unsigned layer after it really goes through vSPARQ."""

    def test_conv1_int8_under_vsparq(self):
        exe = sparq_sim()
        if not exe:
            self.skipTest("no sparq-sim build (build/dev, build/release or $SPARQ_SIM)")
        tmp = tempfile.mkdtemp(prefix="torch_export_test_")
        self.addCleanup(shutil.rmtree, tmp, True)
        bundle = os.path.join(tmp, "r18")
        r = run_cli([EXPORTER, "--model", "resnet18", "--random-weights", "--image", IMAGE, "--layers",
                     "conv1,layer1.0.conv1", "--out", bundle, "--quiet"], cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        cfg = os.path.join(tmp, "run.yaml")
        with open(cfg, "w") as f:
            f.write(f"trace: {{bundle: {bundle}, layers: [conv1, layer1.0.conv1], max_pixels: 48}}\n"
                    "array: {rows: 8, cols: 8}\n"
                    "compare:\n  - {design: int8}\n  - {design: vsparq, shift_set: 3opt}\n"
                    f"output: {{dir: {tmp}/out}}\n")
        r = subprocess.run([exe, "run", cfg, "--dump-outputs", os.path.join(tmp, "dump")], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("vsparq-3opt @int8", r.stdout)
        with open(os.path.join(bundle, "manifest.yaml")) as f:
            layers = {L["name"]: L for L in yaml.safe_load(f)["layers"]}
        for name, same in (("conv1", True), ("layer1.0.conv1", False)):
            L = layers[name]
            a = np.load(os.path.join(bundle, L["files"]["input"]["path"])).astype(np.float64)
            w = np.load(os.path.join(bundle, L["files"]["weights"]["path"])).astype(np.float64)
            exact = conv_im2col(a, w, L).reshape(-1, L["output_shape"][2])[:48]  # integers, exact in float64
            i8 = np.load(os.path.join(tmp, "dump", f"int8.{name}.acc.npy"))
            vs = np.load(os.path.join(tmp, "dump", f"vsparq-3opt.{name}.acc.npy"))
            np.testing.assert_array_equal(i8, exact, err_msg=name)
            self.assertEqual(bool(np.array_equal(vs, exact)), same, name)
        with open(os.path.join(tmp, "out", "summary.csv")) as f:
            rows = f.read().splitlines()
        head = rows[0].split(",")
        for row in rows[1:]:
            cells = row.split(",")
            self.assertEqual(cells[head.index("layers_in_total [layer]")], "1")
            self.assertEqual(cells[head.index("layers_excluded [layer]")], "1")


def _print_report():
    if REPORT:
        print("\nquantization error, dequantized int8 conv vs float_output:", file=sys.stderr)
        for line in REPORT:
            print("  " + line, file=sys.stderr)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    _print_report()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"torch_export: {passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
else:
    import atexit

    atexit.register(_print_report)
