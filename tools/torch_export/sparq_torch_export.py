#!/usr/bin/python3
"""Export real layers of a PyTorch model as a SPARQ trace bundle.

A trace bundle (traces/README.md) is a directory with manifest.yaml plus .npy
arrays per layer: the layer's quantized input activations, int8 weights with
per-output-channel scales, the bias, and the float output of the original
layer for the same input. This module is both a library (export_bundle and the
helpers below) and a command-line tool (main).

Written for Debian's python3 (3.11) with python3-torch 1.13,
python3-torchvision 0.14, python3-numpy, python3-yaml and python3-pil; see
README.md beside this file.

Quantization (the SPARQ reference's scheme):
- Weights: symmetric int8 per output channel, scale = max|w| / 127,
  q = round_half_even(w / scale) clamped to [-127, 127]. A channel whose
  weights are all zero gets scale 1.0 (the bundle reader requires scales > 0;
  its weights are all 0, so the dequantized channel is exactly 0 whatever the
  scale) and is counted in the layer's meta.zero_weight_channels.
- Activations: one scale per layer from calibration, scale = mean over the
  calibration images of the per-image max of the layer input / 255;
  q = round_half_even(x / scale) clamped to [0, 255] (uint8, zero point 0).
  Values above 255 * scale saturate at 255 (counted in meta).
- A layer whose input holds negative values (on the exported image or any
  calibration image) is reported and exported with activation_signed: true:
  int8 symmetric, scale = mean over images of max|x| / 127, q clamped to
  [-127, 127]. Negative values are never clamped to zero.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

# What the PyTorch path needs, with the numbers measured in README.md beside
# this file (Debian 12, torch 1.13.1, torchvision 0.14.1, 2 cores).
DEBIAN_INSTALL = "apt-get install -y --no-install-recommends python3-torch python3-torchvision python3-numpy python3-yaml python3-pil"
DEPENDENCY_SIZES = "147 MB of .deb archives to download, 621 MB installed (183 packages), about 50 s to install"


class MissingDependency(ImportError):
    """PyTorch (or numpy, PyYAML, Pillow, torchvision) cannot be imported;
    the message says which, and how to install it."""


def missing_dependency_message(err: BaseException) -> str:
    name = getattr(err, "name", None) or str(err)
    interp = "" if os.path.realpath(sys.executable) == os.path.realpath("/usr/bin/python3") else (
        f" This is {sys.executable}; Debian's packages live in /usr/bin/python3's dist-packages, so run the "
        "exporters with /usr/bin/python3."
    )
    return (
        f"error: the PyTorch path cannot import {name!r} ({err}). It needs PyTorch and torchvision from Debian: "
        f"'{DEBIAN_INSTALL}' as root ({DEPENDENCY_SIZES}; tools/torch_export/ci_test.sh does it).{interp}"
    )


def require_packages() -> None:
    """Imports what the exporters use; raises MissingDependency with
    missing_dependency_message() if one is missing."""
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        import yaml as _yaml  # noqa: F401
    except ImportError as e:
        raise MissingDependency(missing_dependency_message(e)) from e


try:
    import numpy as np
    import yaml
except ImportError as _e:
    if __name__ == "__main__":
        print(missing_dependency_message(_e), file=sys.stderr)
        sys.exit(3)
    raise MissingDependency(missing_dependency_message(_e)) from _e

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACES_DIR = os.path.join(REPO, "traces")

EXPORTER_NAME = "sparq-export-torch"
EXPORTER_VERSION = "1.0.0"
FORMAT = "sparq-trace-bundle"
FORMAT_VERSION = 1

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Debian packages whose versions go into the manifest (exporter.debian_packages).
DEBIAN_PACKAGES = ("python3-torch", "python3-torchvision", "python3-numpy", "python3-yaml", "python3-pil")


class ExportError(Exception):
    """Bad input or a layer the bundle format cannot hold; the message says which."""


# --------------------------------------------------------------------------
# Files, hashes, Debian provenance


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _run(cmd: Sequence[str]) -> Optional[str]:
    try:
        r = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False)
    except OSError:
        return None
    return r.stdout if r.returncode == 0 else None


def debian_package_version(pkg: str) -> Optional[str]:
    out = _run(["dpkg-query", "-W", "-f=${Version}", pkg])
    return out.strip() if out and out.strip() else None


def debian_package_of(path: str) -> Optional[str]:
    """The Debian package that installed `path` (dpkg-query -S), or None."""
    candidates = [os.path.abspath(path)]
    real = os.path.realpath(path)
    if real not in candidates:
        candidates.append(real)
    for p in candidates:
        out = _run(["dpkg-query", "-S", p])
        if not out:
            continue
        for line in out.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            pkgs, owned = line.split(": ", 1)
            if owned.strip() == p:
                return pkgs.split(",")[0].strip().split(":")[0]
    return None


def file_info(path: str) -> dict:
    """path, sha256 and, where dpkg owns the file, its package and version."""
    info = {"path": os.path.abspath(path)}
    pkg = debian_package_of(path)
    if pkg:
        info["debian_package"] = pkg
        ver = debian_package_version(pkg)
        if ver:
            info["package_version"] = ver
    info["sha256"] = sha256_file(path)
    return info


# --------------------------------------------------------------------------
# Images


@dataclass
class Preprocess:
    """torchvision's ImageNet evaluation transform: Resize(resize) (shorter
    side, bilinear), CenterCrop(crop), ToTensor (pixels / 255), then
    Normalize(ImageNet mean, std) unless normalize is False."""

    resize: int = 256
    crop: int = 224
    normalize: bool = True

    def describe(self) -> str:
        s = f"RGB; Resize({self.resize}, bilinear); CenterCrop({self.crop}); ToTensor (pixels/255)"
        if self.normalize:
            s += f"; Normalize(mean={list(IMAGENET_MEAN)}, std={list(IMAGENET_STD)})"
        return s


def load_image(path: str, pre: Preprocess = Preprocess()):
    """A [1, 3, crop, crop] float32 tensor. With pre.normalize False the values
    are exactly k/255 for the uint8 pixels k of the resized, cropped image."""
    import torch
    from PIL import Image
    from torchvision import transforms as T

    try:
        img = Image.open(path)
        img = img.convert("RGB")
    except (OSError, ValueError) as e:
        raise ExportError(f"{path}: cannot decode image: {e}") from e
    steps = [T.Resize(pre.resize, interpolation=T.InterpolationMode.BILINEAR), T.CenterCrop(pre.crop), T.ToTensor()]
    if pre.normalize:
        steps.append(T.Normalize(IMAGENET_MEAN, IMAGENET_STD))
    x = T.Compose(steps)(img)
    return x.unsqueeze(0).to(torch.float32)


# --------------------------------------------------------------------------
# Layers


def exportable_layers(model) -> List[str]:
    """Names of the nn.Conv2d and nn.Linear modules, in registration order."""
    import torch.nn as nn

    return [n for n, m in model.named_modules() if n and isinstance(m, (nn.Conv2d, nn.Linear))]


def resolve_layers(model, spec) -> List[str]:
    """`spec` is 'all', a comma-separated string or a list of module names."""
    import torch.nn as nn

    names = exportable_layers(model)
    if spec is None or spec == "all" or spec == ["all"]:
        if not names:
            raise ExportError("the model has no nn.Conv2d or nn.Linear layer")
        return names
    if not isinstance(spec, (str, list, tuple)) or not all(isinstance(w, str) for w in spec):
        raise ExportError(f"layers: expected 'all', a comma-separated string or a list of module names, got {spec!r}")
    wanted = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    wanted = [w for w in wanted if w]
    if not wanted:
        raise ExportError(f"layers: no layer named (exportable layers: {', '.join(names)}, or 'all')")
    modules = dict(model.named_modules())
    out = []
    for w in wanted:
        if w not in modules:
            raise ExportError(f"no module named '{w}' (exportable layers: {', '.join(names)})")
        if not isinstance(modules[w], (nn.Conv2d, nn.Linear)):
            raise ExportError(f"module '{w}' is a {type(modules[w]).__name__}; only nn.Conv2d and nn.Linear are exported")
        if w in out:
            raise ExportError(f"layer '{w}' is listed twice")
        out.append(w)
    return out


def _pair(v) -> tuple:
    return (v, v) if isinstance(v, int) else tuple(int(e) for e in v)


def conv_geometry(module, in_shape_nchw, out_shape_nchw) -> dict:
    """Bundle geometry for an nn.Conv2d called on an input of in_shape_nchw."""
    if module.padding_mode != "zeros":
        raise ExportError(f"padding_mode '{module.padding_mode}' is not zero padding; the bundle format holds only zero padding")
    kh, kw = _pair(module.kernel_size)
    sh, sw = _pair(module.stride)
    dh, dw = _pair(module.dilation)
    pad = module.padding
    if isinstance(pad, str):
        if pad == "valid":
            padding = [0, 0, 0, 0]
        elif pad == "same":
            # PyTorch's 'same' (stride 1 only): total d*(k-1) per axis, the
            # odd extra pixel on the bottom/right.
            th, tw = dh * (kh - 1), dw * (kw - 1)
            padding = [th // 2, th - th // 2, tw // 2, tw - tw // 2]
        else:
            raise ExportError(f"unknown padding '{pad}'")
    else:
        ph, pw = _pair(pad)
        padding = [ph, ph, pw, pw]
    n, c, h, w = (int(v) for v in in_shape_nchw)
    if n != 1:
        raise ExportError(f"batch size {n}; the exporter runs batch 1")
    h_out = (h + padding[0] + padding[1] - dh * (kh - 1) - 1) // sh + 1
    w_out = (w + padding[2] + padding[3] - dw * (kw - 1) - 1) // sw + 1
    got = tuple(int(v) for v in out_shape_nchw)
    if got != (1, module.out_channels, h_out, w_out):
        raise ExportError(f"output shape {list(got)} differs from the geometry's [1, {module.out_channels}, {h_out}, {w_out}]")
    groups = int(module.groups)
    return {
        "op": "depthwise_conv2d" if groups == c and groups > 1 else "conv2d",
        "input_shape": [h, w, c],
        "output_shape": [h_out, w_out, int(module.out_channels)],
        "kernel": [kh, kw],
        "stride": [sh, sw],
        "dilation": [dh, dw],
        "padding": padding,
        "groups": groups,
    }


def dense_geometry(module, in_shape, out_shape) -> dict:
    if len(in_shape) != 2 or int(in_shape[0]) != 1:
        raise ExportError(
            f"nn.Linear input has shape {list(in_shape)}; only a 2-D [1, C] input is exported (as a 1x1 conv on a 1x1 image)"
        )
    c_in, c_out = int(module.in_features), int(module.out_features)
    return {
        "op": "dense",
        "input_shape": [1, 1, c_in],
        "output_shape": [1, 1, c_out],
        "kernel": [1, 1],
        "stride": [1, 1],
        "dilation": [1, 1],
        "padding": [0, 0, 0, 0],
        "groups": 1,
    }


# --------------------------------------------------------------------------
# Quantization


def quantize_weights(w_oihw: np.ndarray):
    """int8 HWIO weights, float32 per-output-channel scales and the indices of
    all-zero channels, from PyTorch OIHW float weights (I = C_in / groups)."""
    w = np.asarray(w_oihw, dtype=np.float32)
    if w.ndim != 4:
        raise ExportError(f"weights have shape {list(w.shape)}, expected OIHW")
    amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1).astype(np.float64)
    zero = np.flatnonzero(amax == 0)
    scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    if not np.all(np.isfinite(scales)) or not np.all(scales > 0):
        raise ExportError("weights are not finite or too small to scale in float32")
    q = np.rint(w.astype(np.float64) / scales.astype(np.float64)[:, None, None, None])
    q = np.clip(q, -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.transpose(2, 3, 1, 0)), scales, zero


def activation_scale(per_image_max: Sequence[float], signed: bool) -> float:
    """mean over images of the per-image max (max|x| if signed) / 255 (127),
    rounded to float32 (traces/README.md: scales are float32 values written
    in full); 0.0 if every maximum is 0."""
    m = float(np.mean(np.asarray(per_image_max, dtype=np.float64)))
    return float32(m / (127.0 if signed else 255.0))


def float32(v: float) -> float:
    return float(np.float32(v))


def pair_zero_stats(q_hwc: np.ndarray):
    """Shares of adjacent-channel pairs (c, c+1), c even, with at least one
    and with both activations zero: vSPARQ's pairs when C_in per group is
    even (with an odd count, pairs straddle kernel taps: None)."""
    z = q_hwc == 0
    if z.shape[-1] % 2:
        return None
    a, b = z[..., 0::2], z[..., 1::2]
    return {"input_pair_any_zero": float(np.mean(a | b)), "input_pair_both_zero": float(np.mean(a & b))}


def quantize_activations(x: np.ndarray, scale: float, signed: bool) -> np.ndarray:
    q = np.rint(np.asarray(x, dtype=np.float64) / scale)
    if signed:
        return np.clip(q, -127, 127).astype(np.int8)
    if np.any(q < 0):
        raise ExportError("negative activations in a layer exported as unsigned")  # never clamp negatives silently
    return np.clip(q, 0, 255).astype(np.uint8)


def nchw_to_hwc(t) -> np.ndarray:
    import torch

    a = t.detach().cpu().to(dtype=torch.float32).numpy()
    if a.ndim == 4:
        return np.ascontiguousarray(a[0].transpose(1, 2, 0))
    if a.ndim == 2:  # dense: [1, C] -> [1, 1, C]
        return np.ascontiguousarray(a.reshape(1, 1, -1))
    raise ExportError(f"unexpected tensor shape {list(a.shape)}")


# --------------------------------------------------------------------------
# Capture with hooks


@dataclass
class _Capture:
    input: object = None  # torch.Tensor, cloned at call time
    output: object = None
    calls: int = 0
    source: str = "unknown"
    raw_output: object = None  # the tensor the layer returned (to find a BatchNorm fed by it)
    raw_version: int = -1
    batchnorm: Optional[str] = None  # the BatchNorm2d folded into this layer
    bn_module: object = None
    bn_done: bool = False


@dataclass
class _Stats:
    max: List[float] = field(default_factory=list)
    absmax: List[float] = field(default_factory=list)
    min: List[float] = field(default_factory=list)


def _first_tensor(inputs):
    import torch

    for t in inputs:
        if isinstance(t, torch.Tensor):
            return t
    raise ExportError("the layer was called without a tensor input")


def foldable_batchnorm(bn) -> bool:
    """An nn.BatchNorm2d in eval mode with running statistics: an affine map
    per channel that folds into the convolution before it."""
    import torch.nn as nn

    return isinstance(bn, nn.BatchNorm2d) and not bn.training and bn.running_mean is not None


def fold_batchnorm(w_oihw: np.ndarray, bias: Optional[np.ndarray], bn):
    """Weights and bias (float64) of conv followed by `bn` (eval mode):
    w * f and (b - mean) * f + beta per output channel, f = gamma / sqrt(var + eps)."""
    w = np.asarray(w_oihw, dtype=np.float64)
    cout = w.shape[0]
    if bn.num_features != cout:
        raise ExportError(f"BatchNorm2d has {bn.num_features} channels, the convolution before it {cout}")
    b = np.zeros(cout) if bias is None else np.asarray(bias, dtype=np.float64)
    gamma = bn.weight.detach().double().numpy() if bn.affine else np.ones(cout)
    beta = bn.bias.detach().double().numpy() if bn.affine else np.zeros(cout)
    f = gamma / np.sqrt(bn.running_var.detach().double().numpy() + bn.eps)
    return w * f[:, None, None, None], (b - bn.running_mean.detach().double().numpy()) * f + beta


def capture_layers(model, x, names: Sequence[str], input_label: str, fold_bn: bool = True) -> Dict[str, _Capture]:
    """Runs model(x) once and returns each named layer's float input and output
    (first call; both cloned when taken, so later in-place ops cannot change
    them) and where its input came from: `input_label` for the model input,
    else the module that produced the tensor. With fold_bn, an nn.Conv2d
    whose output (unmodified) is the input of an eval-mode nn.BatchNorm2d gets
    that BatchNorm (batchnorm, bn_module) and the BatchNorm's output as its
    output: the exported layer is the convolution with the BatchNorm folded in."""
    import torch

    modules = dict(model.named_modules())
    caps = {n: _Capture() for n in names}
    produced: Dict[int, tuple] = {id(x): (input_label, x._version)}
    by_storage: Dict[tuple, str] = {}
    keep = [x]  # holds tensors so their ids stay unique during the pass
    calls: Dict[str, int] = {}
    handles = []

    def describe_source(t) -> str:
        hit = produced.get(id(t))
        if hit is not None:
            label, version = hit
            return label if t._version == version else label + " (then modified in place)"
        key = (t.data_ptr(), t.numel())
        if key in by_storage:
            return by_storage[key] + " (reshaped)"
        return "unknown (a functional op)"

    def make_pre(name):
        def pre(mod, inputs):
            c = caps[name]
            c.calls += 1
            if c.calls == 1:
                t = _first_tensor(inputs)
                c.input = t.detach().clone()
                c.source = describe_source(t)

        return pre

    def make_post(name):
        def post(mod, inputs, output):
            c = caps[name]
            if c.calls == 1 and c.output is None:
                c.output = output.detach().clone()
                c.raw_output, c.raw_version = output, output._version
                keep.append(output)

        return post

    conv_names = [n for n in names if isinstance(modules[n], torch.nn.Conv2d)]
    bn_input: Dict[str, str] = {}  # BatchNorm name -> the layer folded with it

    def make_bn_pre(bn_name):
        def pre(mod, inputs):
            t = _first_tensor(inputs)
            for n in conv_names:
                c = caps[n]
                if c.raw_output is t and t._version == c.raw_version and c.batchnorm is None and bn_name not in bn_input:
                    c.batchnorm, c.bn_module = bn_name, mod
                    bn_input[bn_name] = n

        return pre

    def make_bn_post(bn_name):
        def post(mod, inputs, output):
            n = bn_input.get(bn_name)
            if n is not None and caps[n].output is not None and caps[n].batchnorm == bn_name and not caps[n].bn_done:
                caps[n].output = output.detach().clone()
                caps[n].bn_done = True

        return post

    def make_track(name, leaf):
        def track(mod, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            if not isinstance(output, torch.Tensor):
                return
            label = name if calls[name] == 1 else f"{name}[call {calls[name]}]"
            keep.append(output)  # alive until the pass ends: ids and data pointers stay unique
            if leaf or id(output) not in produced:
                produced[id(output)] = (label, output._version)
            key = (output.data_ptr(), output.numel())
            if leaf or key not in by_storage:
                by_storage[key] = label

        return track

    try:
        for n, m in modules.items():
            if not n:
                continue
            handles.append(m.register_forward_hook(make_track(n, leaf=not any(True for _ in m.children()))))
        for n in names:
            handles.append(modules[n].register_forward_pre_hook(make_pre(n)))
            handles.append(modules[n].register_forward_hook(make_post(n)))
        if fold_bn:
            for n, m in modules.items():
                if n and foldable_batchnorm(m):
                    handles.append(m.register_forward_pre_hook(make_bn_pre(n)))
                    handles.append(m.register_forward_hook(make_bn_post(n)))
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    for n, c in caps.items():
        if c.calls == 0:
            raise ExportError(f"layer '{n}' was not called in the forward pass")
    return caps


def calibrate(model, inputs: Sequence, names: Sequence[str]) -> Dict[str, _Stats]:
    """Per layer and per calibration input: max, max|x| and min of the layer's
    input (first call of the layer in each pass)."""
    import torch

    modules = dict(model.named_modules())
    stats = {n: _Stats() for n in names}
    seen: Dict[str, bool] = {}
    handles = []

    def make_pre(name):
        def pre(mod, args):
            if seen.get(name):
                return
            seen[name] = True
            t = _first_tensor(args).detach()
            s = stats[name]
            s.max.append(float(t.max()))
            s.min.append(float(t.min()))
            s.absmax.append(float(t.abs().max()))

        return pre

    try:
        for n in names:
            handles.append(modules[n].register_forward_pre_hook(make_pre(n)))
        with torch.no_grad():
            for x in inputs:
                seen.clear()
                model(x)
    finally:
        for h in handles:
            h.remove()
    for n, s in stats.items():
        if len(s.max) != len(inputs):
            raise ExportError(f"layer '{n}' was not called on every calibration input")
    return stats


# --------------------------------------------------------------------------
# Bundle writing


def write_npy(path: str, arr: np.ndarray, dtype: str) -> str:
    """Writes a C-order little-endian .npy (dtype '|u1', '|i1' or '<f4') and
    returns the sha256 of the file."""
    a = np.ascontiguousarray(np.asarray(arr).astype(np.dtype(dtype), copy=False))
    with open(path, "wb") as f:
        np.save(f, a, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    return sha256_file(path)


class _FlowMap(dict):
    """A mapping written in YAML flow style ({path: ..., sha256: ...})."""


class _Dumper(yaml.SafeDumper):
    """Block mappings, flow lists of scalars, flow _FlowMap; no line wrapping."""


def _represent_list(dumper, data):
    flow = all(not isinstance(e, (dict, list)) for e in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_flowmap(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_FlowMap, _represent_flowmap)


def dump_manifest(manifest: dict) -> str:
    return yaml.dump(_py(manifest), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1 << 20)


def _py(v):
    """numpy scalars and arrays to plain Python for yaml.safe_dump."""
    if isinstance(v, str):
        return str(v)  # torch.__version__ is a str subclass
    if isinstance(v, dict):
        out = {str(k): _py(e) for k, e in v.items()}
        return _FlowMap(out) if isinstance(v, _FlowMap) else out
    if isinstance(v, (list, tuple)):
        return [_py(e) for e in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def package_versions() -> dict:
    import torch
    import torchvision
    import PIL

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "pyyaml": yaml.__version__,
        "pillow": PIL.__version__,
    }


def debian_versions() -> dict:
    out = {}
    for p in DEBIAN_PACKAGES:
        v = debian_package_version(p)
        if v:
            out[p] = v
    return out


def _fmt_list(v: Sequence[float]) -> str:
    return "[" + ", ".join(f"{e:.4g}" for e in v) + "]"


@dataclass
class QuantizedLayer:
    """One layer as a trace bundle holds it (traces/README.md), in memory."""

    name: str
    geometry: dict  # op, input_shape, output_shape, kernel, stride, dilation, padding, groups
    signed: bool  # activation_signed
    scale: float  # activation_scale (float32 value)
    source: str  # input_source
    input: np.ndarray  # [H, W, C_in] uint8 (int8 if signed)
    weights: np.ndarray  # int8 [KH, KW, C_in/groups, C_out]
    weight_scales: np.ndarray  # float32 [C_out]
    bias: Optional[np.ndarray]  # float32 [C_out] or None
    float_output: np.ndarray  # float32 [H_out, W_out, C_out]: the model's (BatchNorm folded in)
    meta: dict


def quantize_layers(
    model,
    x,
    calib_inputs: Sequence,
    layers="all",
    *,
    input_is_pixels: bool = False,
    preprocess: Optional[Preprocess] = None,
    fold_batchnorms: bool = True,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> List[QuantizedLayer]:
    """`layers` of `model` run on `x` ([1, C, H, W] float), quantized as
    export_bundle writes them (see there and the module docstring), without
    touching the disk."""
    import torch

    if not calib_inputs:
        raise ExportError("no calibration inputs")
    if isinstance(model, (torch.nn.Conv2d, torch.nn.Linear)):
        # a bare layer has no name of its own in named_modules(): give it one
        model = torch.nn.Sequential(collections.OrderedDict([(type(model).__name__.lower(), model)]))
    model.eval()
    names = resolve_layers(model, layers)
    modules = dict(model.named_modules())
    if input_is_pixels:
        input_label = "image_pixels"
    elif preprocess is not None and preprocess.normalize:
        input_label = "image_normalized"
    else:
        input_label = "model_input"
    caps = capture_layers(model, x, names, input_label, fold_bn=fold_batchnorms)
    stats = calibrate(model, calib_inputs, names)
    out = []
    for lname in names:
        mod, cap, st = modules[lname], caps[lname], stats[lname]
        fin, fout = cap.input.to(torch.float32), cap.output.to(torch.float32)
        is_dense = isinstance(mod, torch.nn.Linear)
        geo = dense_geometry(mod, fin.shape, fout.shape) if is_dense else conv_geometry(mod, fin.shape, fout.shape)
        a = nchw_to_hwc(fin)
        y = nchw_to_hwc(fout)
        w = mod.weight.detach().cpu().to(torch.float32).numpy()
        bias = None if mod.bias is None else mod.bias.detach().cpu().to(torch.float32).numpy()
        if is_dense:
            w = w.reshape(w.shape[0], w.shape[1], 1, 1)
        if cap.batchnorm is not None:
            w64, b64 = fold_batchnorm(w, bias, cap.bn_module)
            w, bias = w64.astype(np.float32), b64.astype(np.float32)
        qw, wscales, zero_ch = quantize_weights(w)

        img_min = float(a.min()) if a.size else 0.0
        signed = img_min < 0 or min(st.min) < 0
        pixels = input_is_pixels and cap.source == "image_pixels"
        meta = {
            "module": f"{type(mod).__module__}.{type(mod).__name__}",
            "torch_weight_shape": list(mod.weight.shape),
        }
        if cap.batchnorm is not None:
            meta["folded_batchnorm"] = cap.batchnorm
        if pixels:
            scale = float32(1.0 / 255.0)
            meta["activation_scale_basis"] = "fixed 1/255: the input is the image's uint8 pixels / 255"
        else:
            per_image = st.absmax if signed else st.max
            scale = activation_scale(per_image, signed)
            meta["activation_scale_basis"] = (
                "mean over calibration images of max|x| / 127" if signed else "mean over calibration images of max / 255"
            )
            if not scale > 0:
                scale = float32(1.0 / 255.0)
                meta["activation_scale_basis"] = "fixed 1/255: the input was 0 on every calibration image"
        if signed:
            log(
                f"notice: layer '{lname}': its input has negative values (min {img_min:.4g} on the exported "
                f"image, {min(st.min):.4g} over calibration); exported with activation_signed: true "
                f"(int8 symmetric, scale {scale:.6g})"
            )
        qa = quantize_activations(a, scale, signed)
        limit = 127 if signed else 255
        saturated = int(np.count_nonzero(np.abs(np.rint(a.astype(np.float64) / scale)) > limit))
        deq = qa.astype(np.float64) * scale
        meta.update(
            {
                "calibration_max": st.max,
                "calibration_min": st.min,
                "input_min": img_min,
                "input_max": float(a.max()) if a.size else 0.0,
                "input_negative_fraction": float(np.count_nonzero(a < 0)) / a.size,
                "input_zero_fraction": float(np.count_nonzero(qa == 0)) / qa.size,
                "input_saturated": saturated,
                "input_max_abs_quant_error": float(np.max(np.abs(deq - a))),
                "weight_max_abs_quant_error": float(
                    np.max(np.abs(qw.transpose(3, 2, 0, 1).astype(np.float64) * wscales[:, None, None, None] - w))
                ),
                "zero_weight_channels": [int(i) for i in zero_ch],
                "calls_in_forward": cap.calls,
            }
        )
        if geo["input_shape"][2] // geo["groups"] % 2 == 0:
            meta.update(pair_zero_stats(qa))
        if cap.calls > 1:
            log(f"notice: layer '{lname}' runs {cap.calls} times per forward pass; its first call is exported")
        if saturated:
            log(f"note: layer '{lname}': {saturated} of {a.size} input values exceed the calibrated range and saturate")
        out.append(QuantizedLayer(lname, geo, bool(signed), float(scale), cap.source, qa, qw, wscales, bias, y, meta))
        log(
            f"{lname}: {geo['op']} {geo['input_shape']} -> {geo['output_shape']} k{geo['kernel']} s{geo['stride']} "
            f"p{geo['padding']} g{geo['groups']} scale {scale:.6g}{' signed' if signed else ''}"
            f"{' +' + cap.batchnorm if cap.batchnorm else ''} "
            f"(calibration max {_fmt_list(st.absmax if signed else st.max)})"
        )
    return out


def export_bundle(
    model,
    x,
    calib_inputs: Sequence,
    layers,
    out_dir: str,
    *,
    name: str,
    model_info: dict,
    image_info: Optional[dict] = None,
    calib_info: Optional[List[dict]] = None,
    input_is_pixels: bool = False,
    preprocess: Optional[Preprocess] = None,
    notes: Optional[str] = None,
    force: bool = False,
    fold_batchnorms: bool = True,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> dict:
    """Exports `layers` ('all', a comma list or a list of names) of `model`
    run on `x` ([1, C, H, W] float) into the bundle directory `out_dir`.

    calib_inputs: tensors for calibration (the activation scales).
    model_info: the manifest's model mapping (name, source, pretrained, ...).
    image_info / calib_info: file_info() of the image and calibration images.
    input_is_pixels: x holds pixels / 255; a layer fed x directly then gets
    scale 1/255 (its input is the exact uint8 pixels) instead of calibration.
    fold_batchnorms: an nn.BatchNorm2d (eval mode) fed directly by an
    exported nn.Conv2d is folded into it before weight quantization, as
    deployed int8 networks do; the layer's float_output is then the
    BatchNorm's output and meta.folded_batchnorm names it.
    The bundle is written into a temporary sibling directory and renamed into
    place; an existing out_dir is replaced only with force=True.
    Returns the manifest as a dict.
    """
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not force:
        raise ExportError(f"{out_dir} exists (pass force=True / --force to replace it)")
    quantized = quantize_layers(model, x, calib_inputs, layers, input_is_pixels=input_is_pixels,
                                preprocess=preprocess, fold_batchnorms=fold_batchnorms, log=log)

    tmp = make_temp_sibling(out_dir)
    entries = []
    try:
        for q in quantized:
            files = {}

            def put(key, arr, dtype):
                fname = f"{q.name}.{key}.npy"
                files[key] = _FlowMap(path=fname, sha256=write_npy(os.path.join(tmp, fname), arr, dtype))

            put("input", q.input, "|i1" if q.signed else "|u1")
            put("weights", q.weights, "|i1")
            put("weight_scales", q.weight_scales, "<f4")
            if q.bias is not None:
                put("bias", q.bias, "<f4")
            put("float_output", q.float_output, "<f4")

            entry = {"name": q.name}
            entry.update(q.geometry)
            entry["activation_signed"] = bool(q.signed)
            entry["activation_scale"] = float(q.scale)
            entry["input_source"] = q.source
            entry["files"] = files
            entry["meta"] = q.meta
            entries.append(entry)

        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": name,
            "model": model_info,
        }
        if image_info:
            image = dict(image_info)
            if preprocess is not None:
                image["preprocess"] = preprocess.describe()
            manifest["image"] = image
        calib = {
            "method": "mean-of-max",
            "description": "activation scale = mean over images of per-image max / 255; signed layers: max|x| / 127",
        }
        if calib_info is not None:
            calib["images"] = [c["path"] for c in calib_info]
            calib["files"] = [_FlowMap(c) for c in calib_info]
        else:
            calib["inputs"] = len(calib_inputs)
        manifest["calibration"] = calib
        manifest["exporter"] = {
            "name": EXPORTER_NAME,
            "version": EXPORTER_VERSION,
            "packages": package_versions(),
            "debian_packages": debian_versions(),
        }
        manifest["layers"] = entries
        manifest["notes"] = notes or default_notes(input_is_pixels, preprocess)
        manifest = _py(manifest)
        text = "# SPARQ trace bundle (traces/README.md), written by {} {}\n".format(EXPORTER_NAME, EXPORTER_VERSION)
        text += dump_manifest(manifest)
        with open(os.path.join(tmp, "manifest.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        _move_into_place(tmp, out_dir, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def default_notes(input_is_pixels: bool, preprocess: Optional[Preprocess]) -> str:
    if input_is_pixels:
        image = " Image input is pixels / 255 (no normalization): the first layer's input is the exact uint8 pixels."
    elif preprocess is not None and preprocess.normalize:
        image = " Image input is ImageNet-normalized, so a layer fed by the image has a signed input."
    else:
        image = ""
    return (
        "Weights: symmetric int8 per output channel, scale max|w|/127 (an all-zero channel gets scale 1.0), "
        "round half to even, clamp [-127, 127]; PyTorch OIHW transposed to HWIO; a BatchNorm2d fed directly by a "
        "convolution is folded into it first (meta.folded_batchnorm; float_output is then the BatchNorm's output). "
        "Activations: one scale per layer (float32), mean over calibration images of the per-image max / 255, "
        "round half to even, clamp [0, 255]; a layer with negative input is activation_signed (int8, "
        "mean of max|x| / 127, clamp [-127, 127]). float_output is the module's float output (with its bias) "
        "on the float input, NCHW transposed to [H, W, C]." + image
    )


def make_temp_sibling(out_dir: str) -> str:
    """A new directory beside out_dir (its parent created if needed), with
    the permissions os.mkdir would give (mkdtemp makes it 0700)."""
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out_dir) + ".tmp-", dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def _move_into_place(tmp: str, out_dir: str, force: bool) -> None:
    if os.path.exists(out_dir):
        if not force:
            raise ExportError(f"{out_dir} exists (pass force=True / --force to replace it)")
        old = tempfile.mkdtemp(prefix="." + os.path.basename(out_dir) + ".old-", dir=os.path.dirname(out_dir))
        os.rmdir(old)
        os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out_dir)
    dfd = os.open(os.path.dirname(out_dir), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


# --------------------------------------------------------------------------
# Models


def build_model(
    model: Optional[str] = None,
    module: Optional[str] = None,
    kwargs: Optional[dict] = None,
    random_weights: bool = False,
    weights: Optional[str] = None,
    seed: int = 0,
    pretrained_claim: bool = False,
):
    """(model, model_info). `model` names a torchvision.models builder
    (built with weights=None); `module` is 'pkg.mod:factory' (called with
    kwargs). torch.manual_seed(seed) is set before building, so random
    weights are reproducible. `weights` is a state_dict file (torch.load)."""
    import torch

    kwargs = dict(kwargs or {})
    if (model is None) == (module is None):
        raise ExportError("give exactly one of --model NAME or --module pkg.mod:factory")
    if random_weights and weights:
        raise ExportError("--random-weights and --weights exclude each other")
    if random_weights and pretrained_claim:
        raise ExportError("--random-weights and --pretrained exclude each other")
    torch.manual_seed(seed)
    if model is not None:
        import torchvision

        builder = getattr(torchvision.models, model, None)
        if builder is None or not callable(builder) or model.startswith("_"):
            raise ExportError(f"torchvision.models has no model '{model}'")
        if not random_weights and not weights:
            raise ExportError(
                "torchvision ships no weights and none can be downloaded here: pass --random-weights "
                "(seeded, marked pretrained: false) or --weights FILE (a state_dict)"
            )
        net = builder(weights=None, **kwargs)
        label = model
        source = f"torchvision {torchvision.__version__} torchvision.models.{model}(weights=None{_kw(kwargs)})"
    else:
        mod, mod_name, fn_name = import_factory_module(module)
        fn = mod
        for part in fn_name.split("."):
            fn = getattr(fn, part, None)
            if fn is None:
                raise ExportError(f"'{mod_name}' has no '{fn_name}'")
        net = fn(**kwargs)
        if not isinstance(net, torch.nn.Module):
            raise ExportError(f"{module}() returned a {type(net).__name__}, not a torch.nn.Module")
        label = fn_name
        source = f"python module {mod_name}:{fn_name}({_kw(kwargs).lstrip(', ')})"
    info = {"name": label, "source": source}
    if weights:
        try:
            sd = torch.load(weights, map_location="cpu")
        except Exception as e:  # torch.load raises many types
            raise ExportError(f"{weights}: cannot load a state_dict: {e}") from e
        if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
            sd = sd["state_dict"]
        try:
            net.load_state_dict(sd)
        except (RuntimeError, TypeError) as e:
            raise ExportError(f"{weights}: does not fit the model: {e}") from e
        info["pretrained"] = True
        info["weights_file"] = file_info(weights)
    else:
        info["pretrained"] = bool(pretrained_claim)
        if random_weights:
            info["weights"] = f"random: the builder's default initialization after torch.manual_seed({seed})"
    info["seed"] = seed
    net.eval()
    return net, info


def import_factory_module(spec: str):
    """(module, module label, factory name) for 'pkg.mod:factory' (imported
    with the current directory on sys.path) or 'path/to/file.py:factory' (the
    file loaded by path, from any directory; its own directory goes on
    sys.path so that its sibling imports work)."""
    import importlib.util

    if ":" not in spec or spec.endswith(":") or spec.startswith(":"):
        raise ExportError(f"--module '{spec}' must be 'pkg.mod:factory' or 'path/to/file.py:factory'")
    where, fn_name = spec.rsplit(":", 1)
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise ExportError(f"--module '{spec}': no such file {path}")
        mod_name = os.path.splitext(os.path.basename(path))[0]
        if not mod_name.isidentifier():
            raise ExportError(f"--module '{spec}': {os.path.basename(path)} is not a valid Python module name")
        if os.path.dirname(path) not in sys.path:
            sys.path.insert(0, os.path.dirname(path))
        existing = sys.modules.get(mod_name)
        if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
            return existing, path, fn_name
        spec_ = importlib.util.spec_from_file_location(mod_name, path)
        if spec_ is None or spec_.loader is None:
            raise ExportError(f"--module '{spec}': cannot load {path} as Python")
        mod = importlib.util.module_from_spec(spec_)
        sys.modules[mod_name] = mod
        try:
            spec_.loader.exec_module(mod)
        except Exception as e:  # the file's own error (ImportError, SyntaxError, ...), reported in one line
            del sys.modules[mod_name]
            raise ExportError(f"cannot import {path}: {type(e).__name__}: {e}") from e
        return mod, path, fn_name
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(where), where, fn_name
    except ImportError as e:
        raise ExportError(f"cannot import '{where}': {e} (give 'path/to/file.py:{fn_name}' to load a file by path)") from e


def _kw(kwargs: dict) -> str:
    return "".join(f", {k}={v!r}" for k, v in kwargs.items())


# --------------------------------------------------------------------------
# Command line


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="sparq_torch_export.py",
        description="Export Conv2d/Linear layers of a PyTorch model as a SPARQ trace bundle (traces/README.md).",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a torchvision.models builder name, e.g. resnet18")
    src.add_argument("--module", help="pkg.mod:factory or path/to/file.py:factory returning a torch.nn.Module "
                     "(the current directory is importable)")
    p.add_argument("--model-kwargs", default="{}", help="JSON keyword arguments for the builder/factory")
    p.add_argument("--random-weights", action="store_true", help="seeded random initialization (pretrained: false)")
    p.add_argument("--weights", help="a state_dict file to load (pretrained: true)")
    p.add_argument("--pretrained", action="store_true", help="with --module: state that the factory's weights are trained")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building the model (default 0)")
    p.add_argument("--image", help="the image the layers are exported on")
    p.add_argument("--calib", nargs="+", help="calibration images (default: the exported image alone)")
    p.add_argument("--layers", default="all", help="'all' or a comma-separated list of Conv2d/Linear module names")
    p.add_argument("--out", help="bundle directory to create (default: traces/MODEL-IMAGESTEM in this repository)")
    p.add_argument("--name", help="bundle name (default MODEL-IMAGESTEM)")
    p.add_argument("--force", action="store_true", help="replace an existing --out directory")
    p.add_argument("--no-normalize", action="store_true", help="feed pixels/255 (no ImageNet mean/std): the first layer's input is the exact uint8 pixels")
    p.add_argument("--resize", type=int, default=256, help="shorter side after resizing (default 256)")
    p.add_argument("--crop", type=int, default=224, help="center crop size (default 224)")
    p.add_argument("--list-layers", action="store_true", help="print the exportable layers and exit")
    p.add_argument("--quiet", action="store_true", help="print only notices and errors")
    return p.parse_args(argv)


def default_out(model_name: str, image: str) -> str:
    """traces/MODEL-IMAGESTEM in this repository."""
    stem = os.path.splitext(os.path.basename(image))[0]
    return os.path.join(TRACES_DIR, safe_name(f"{model_name}-{stem}"))


def safe_name(s: str) -> str:
    """s with every character but letters, digits, '-', '_' and '.' as '_'."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in s).strip(".")
    return out or "model"


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # torch 1.13 warns that an even kernel with padding='same' copies the input; harmless here
    warnings.filterwarnings("ignore", message="Using padding='same'")
    try:
        require_packages()
    except MissingDependency as e:
        print(e, file=sys.stderr)
        return 3
    try:
        try:
            kwargs = json.loads(args.model_kwargs)
        except json.JSONDecodeError as e:
            raise ExportError(f"--model-kwargs is not JSON: {e}") from e
        if not isinstance(kwargs, dict):
            raise ExportError("--model-kwargs must be a JSON object")
        net, info = build_model(
            args.model, args.module, kwargs, args.random_weights, args.weights, args.seed, args.pretrained
        )
        if args.list_layers:
            for n in exportable_layers(net):
                print(n)
            return 0
        if not args.image:
            raise ExportError("--image is required (except with --list-layers)")
        out = args.out or default_out(info["name"], args.image)
        pre = Preprocess(args.resize, args.crop, not args.no_normalize)
        calib_paths = args.calib or [args.image]
        for pth in [args.image] + calib_paths:
            if not os.path.isfile(pth):
                raise ExportError(f"{pth}: no such image file")
        x = load_image(args.image, pre)
        calib = [load_image(pth, pre) for pth in calib_paths]
        stem = os.path.splitext(os.path.basename(args.image))[0]
        name = args.name or f"{info['name']}-{stem}"
        say = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))

        def log(s):
            if s.startswith(("notice", "note")):
                print(s, file=sys.stderr)
            else:
                say(s)

        export_bundle(
            net,
            x,
            calib,
            args.layers,
            out,
            name=name,
            model_info=info,
            image_info=file_info(args.image),
            calib_info=[file_info(pth) for pth in calib_paths],
            input_is_pixels=args.no_normalize,
            preprocess=pre,
            force=args.force,
            log=log,
        )
        print(os.path.abspath(out))
        return 0
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
