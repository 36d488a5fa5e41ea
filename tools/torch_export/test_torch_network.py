#!/usr/bin/python3
"""Tests of sparq_torch_network.py (plain unittest): torch.fx models exported
as network bundles, BatchNorm folded (checked by the exporter against the
model), then executed by sparq-sim (`infer`), whose float32 run of the folded
graph must reproduce PyTorch's logits. sparq-sim comes from $SPARQ_SIM, else
build/dev or build/release; without one the sparq-sim checks are skipped.

    /usr/bin/python3 tools/torch_export/test_torch_network.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.nn as nn
import torchvision
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import sparq_torch_export as ste  # noqa: E402
import sparq_torch_network as stn  # noqa: E402
from test_torch_export import randomize_batchnorms as randomize_bn, sparq_sim  # noqa: E402

PHOTOS = [f"/usr/share/darknet/data/{n}.jpg" for n in ("dog", "scream")]
CALIB = ["/usr/share/darknet/data/eagle.jpg"]


class Small(nn.Module):
    """Every op the exporter maps: conv + BN (folded), ReLU6, a residual add,
    a depthwise conv, concatenation, max and average pooling, adaptive
    average pooling, dropout, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.r1 = nn.ReLU6()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.b2 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 6, 1)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.avg = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(14, 5)

    def forward(self, x):
        y = self.r1(self.b1(self.c1(x)))
        y = torch.relu(self.b2(self.dw(y)) + y)
        z = torch.cat([y, torch.relu(self.c2(y))], dim=1)
        z = self.avg(self.pool(z))
        return self.fc(self.drop(torch.flatten(self.gap(z), 1)))


class TorchNetworkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sparq_torch_net_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export_and_infer(self, model, name, size=224, normalize=False):
        out = os.path.join(self.tmp, name)
        worst = stn.export_network(model, PHOTOS, CALIB, out, name, size, normalize=normalize)
        self.assertLess(worst, stn.FOLD_TOLERANCE)
        exe = sparq_sim()
        if not exe:
            self.skipTest("no sparq-sim build")
        cfg = os.path.join(self.tmp, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(f"network: {{bundle: {out}}}\noutput: {{dir: {out}-results}}\narray: {{rows: 8, cols: 8}}\n"
                    "compare:\n  - {design: int8}\n  - {design: vsparq, shift_set: 5opt}\n")
        r = subprocess.run([exe, "infer", "-q", cfg], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out + "-results", "results.json")) as f:
            res = json.load(f)
        diff = res["float_check"]["max_relative_logit_difference"]["value"]
        print(f"  {name}: folded graph vs PyTorch {worst:.2e} (exporter), {diff:.2e} (sparq-sim float32)",
              file=sys.stderr)
        self.assertLess(diff, 1e-4)
        return out

    def test_small_model_every_op(self):
        torch.manual_seed(1)
        m = Small()
        randomize_bn(m, 2)
        out = self.export_and_infer(m.eval(), "small", size=64)
        with open(os.path.join(out, "network.yaml")) as f:
            text = f.read()
        for op in ("conv2d", "depthwise_conv2d", "dense", "relu6", "add", "concat", "max_pool", "avg_pool",
                   "global_avg_pool", "identity", "reshape", "softmax"):
            self.assertIn(f"op: {op}\n", text, op)
        self.assertEqual(text.count("folded_batchnorm"), 2)

    def test_resnet18_random_weights(self):
        torch.manual_seed(0)
        m = torchvision.models.resnet18(weights=None)
        randomize_bn(m, 3)
        # ImageNet-normalized input (as torchvision's models are trained):
        # the bundle records mean/std, sparq-sim's float32 graph reproduces
        # PyTorch (export_and_infer), and the first convolution is signed.
        out = self.export_and_infer(m.eval(), "resnet18", normalize=True)
        with open(os.path.join(out, "network.yaml")) as f:
            man = yaml.safe_load(f)
        self.assertEqual(len(man["input"]["mean"]), 3)
        self.assertEqual(len(man["input"]["std"]), 3)
        first = next(n for n in man["nodes"] if n["inputs"] == [man["input"]["name"]])
        self.assertTrue(first["activation_signed"])
        self.assertNotAlmostEqual(first["activation_scale"], 1 / 255, places=6)

    def test_mobilenet_v2_random_weights(self):
        torch.manual_seed(0)
        m = torchvision.models.mobilenet_v2(weights=None)
        randomize_bn(m, 4)
        self.export_and_infer(m.eval(), "mobilenet_v2")

    def test_bundle_written_atomically_and_not_overwritten(self):
        torch.manual_seed(1)
        m = Small()
        randomize_bn(m, 2)
        out = os.path.join(self.tmp, "small")
        stn.export_network(m.eval(), PHOTOS[:1], CALIB, out, "small", 32)
        with open(os.path.join(out, "network.yaml")) as f:
            before = f.read()
        with self.assertRaisesRegex(ste.ExportError, "exists"):
            stn.export_network(m.eval(), PHOTOS[:1], CALIB, out, "small", 32)
        with self.assertRaises(ste.ExportError):  # a failing export with force leaves the old bundle
            stn.export_network(m.eval(), PHOTOS[:1], CALIB + ["/nonexistent.jpg"], out, "small", 32, force=True)
        with open(os.path.join(out, "network.yaml")) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.listdir(self.tmp), ["small"], "no temporary directory left behind")
        stn.export_network(m.eval(), PHOTOS[:1], CALIB, out, "small2", 32, force=True)
        with open(os.path.join(out, "network.yaml")) as f:
            self.assertIn("name: small2", f.read())
        self.assertEqual(os.listdir(self.tmp), ["small"])

    def test_cli_module_by_path_and_default_out(self):
        src = os.path.join(self.tmp, "m.py")
        with open(src, "w") as f:
            f.write("import torch.nn as nn\n\n\ndef tinynet():\n    return nn.Sequential(nn.Conv2d(3, 4, 3), "
                    "nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))\n")
        want = os.path.join(ROOT, "traces", "net", "tinynet")
        self.assertFalse(os.path.exists(want), f"{want} exists already")
        args = [sys.executable, os.path.join(HERE, "sparq_torch_network.py"), "--module", "m.py:tinynet",
                "--images", PHOTOS[0], "--calib", CALIB[0], "--size", "32"]
        try:
            r = subprocess.run(args, cwd=self.tmp, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"wrote {want}/network.yaml", r.stderr)
            with open(os.path.join(want, "network.yaml")) as f:
                text = f.read()
            self.assertIn("folded_batchnorm: _1", text)
            r = subprocess.run(args, cwd=self.tmp, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)
            self.assertIn("exists", r.stderr)
            r = subprocess.run(args + ["--force"], cwd=self.tmp, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            shutil.rmtree(want, ignore_errors=True)

    def test_unsupported_op_names_the_node(self):
        class Sig(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(3, 4, 3)
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(torch.flatten(torch.sigmoid(self.c(x)).mean((2, 3), keepdim=True), 1))

        with self.assertRaises(ste.ExportError) as e:
            stn.export_network(Sig().eval(), PHOTOS, CALIB, os.path.join(self.tmp, "sig"), "sig", 32)
        self.assertIn("node 'sigmoid'", str(e.exception))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"torch_network: {passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
