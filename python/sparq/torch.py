"""sparq.torch: simulate the layers of a PyTorch ``nn.Module`` on SPARQ designs
from a Python session, without writing any file.

    import torchvision, sparq.torch
    model = torchvision.models.resnet18().eval()
    run = sparq.torch.simulate(model, ["dog.jpg", "eagle.jpg"], designs=["int8", "vsparq-5opt"])
    print(run.table())
    run["conv1"]["vsparq-5opt"].accumulators      # int64 [H_out, W_out, C_out]

The model's ``nn.Conv2d`` and ``nn.Linear`` layers are captured, BatchNorm
folded and quantized exactly as ``tools/torch_export/sparq_torch_export.py``
writes them into a trace bundle (that module does the work: it is imported
from this checkout), then each layer runs through :func:`sparq.run_layer`
under every design. Layers with signed input (the first convolution on an
ImageNet-normalized image) run at int8 under the pair designs, as the paper
keeps them at 8 bits (``ran_at == "int8"``).

Needs Debian's python3-torch and python3-torchvision (README.md, "PyTorch");
without them, importing this module raises ImportError with the apt-get line.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import sparq

__all__ = ["simulate", "simulate_network", "TorchRun", "TorchLayer", "load_images", "design_config", "exporter",
           "network_exporter"]


def _find_exporter() -> str:
    """tools/torch_export/sparq_torch_export.py of this checkout: $SPARQ_SOURCE_DIR,
    else the checkout holding this file (source or build tree), else the
    checkout whose cell library the simulator reads by default (an installed
    package)."""
    rel = os.path.join("tools", "torch_export", "sparq_torch_export.py")
    roots = []
    if os.environ.get("SPARQ_SOURCE_DIR"):
        roots.append(os.environ["SPARQ_SOURCE_DIR"])
    d = os.path.dirname(os.path.abspath(__file__))
    while os.path.dirname(d) != d:
        roots.append(d)
        d = os.path.dirname(d)
    try:
        import yaml as _yaml

        lib = _yaml.safe_load(sparq.load_config().effective_yaml)["cost"]["library"]
        roots.append(os.path.dirname(os.path.dirname(os.path.dirname(lib))))  # .../configs/cost/x.yaml
    except Exception:  # noqa: BLE001 - only a hint; the error below names what was searched
        pass
    for r in roots:
        if os.path.isfile(os.path.join(r, rel)):
            return os.path.join(r, rel)
    raise ImportError(f"sparq.torch: cannot find {rel} (searched {', '.join(roots)}); set SPARQ_SOURCE_DIR to the "
                      "sparq-sim checkout")


def _load(name: str, path: str):
    """The module `name` from `path` (the one already imported if it is that file)."""
    mod = sys.modules.get(name)
    if mod is not None and os.path.realpath(getattr(mod, "__file__", "")) == os.path.realpath(path):
        return mod
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)  # raises MissingDependency (an ImportError) without numpy / PyYAML
    except BaseException:
        del sys.modules[name]
        raise
    return mod


_EXPORTER_PATH = _find_exporter()
exporter = _load("sparq_torch_export", _EXPORTER_PATH)
exporter.require_packages()  # torch, torchvision, Pillow: an ImportError naming the Debian packages
network_exporter = _load("sparq_torch_network", os.path.join(os.path.dirname(_EXPORTER_PATH), "sparq_torch_network.py"))

import numpy as np  # noqa: E402
import torch  # noqa: E402



class ExportError(exporter.ExportError, sparq.InputError):
    """A model or layer the exporter cannot take (a ``layers=`` name that is
    not an nn.Conv2d / nn.Linear, an op the network format lacks); the
    message names it. Both the exporter's ExportError and a sparq.InputError
    (a ValueError), so ``except sparq.InputError`` catches every bad input."""


@contextlib.contextmanager
def _exporting(model: "torch.nn.Module"):
    """Runs the exporter on ``model``: its ExportError re-raised as
    :class:`ExportError`, and every submodule's training flag restored
    afterwards (the exporter switches the whole model to eval mode)."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield
    except exporter.ExportError as e:
        if isinstance(e, ExportError):
            raise
        raise ExportError(str(e)) from None
    finally:
        for m, training in modes:
            m.training = training


# --- Designs ----------------------------------------------------------------

def design_config(design: Union[str, dict]) -> dict:
    """A ``compare:`` entry from a short name, as the CLI labels designs:
    "int8", "int4", "bsparq-5opt" / "-3opt" / "-2opt", "vsparq-5opt" / ...,
    "vsparq-b3", "vsparq-b2" (a bare "bsparq" / "vsparq" is 5opt); a dict
    is taken as it is (the ``pe:`` keys, plus ``name``)."""
    if isinstance(design, dict):
        return dict(design)
    if not isinstance(design, str):
        raise sparq.InputTypeError(f"sparq.torch: a design is a name or a dict of pe: keys, got {type(design).__name__}")
    base, _, variant = design.partition("-")
    if base in ("int8", "int4") and not variant:
        return {"design": base}
    if base in ("bsparq", "vsparq"):
        if not variant or variant in ("5opt", "3opt", "2opt"):
            return {"design": base, "shift_set": variant or "5opt"}
        if base == "vsparq" and variant in ("b3", "b2"):
            return {"design": base, "budget": int(variant[1])}
    raise sparq.InputError(f"sparq.torch: unknown design '{design}' (int8, int4, bsparq-5opt|3opt|2opt, "
                           "vsparq-5opt|3opt|2opt|b3|b2, or a dict of pe: keys)")


# --- Inputs -----------------------------------------------------------------

def load_images(paths: Sequence[Union[str, os.PathLike]], resize: int = 256, crop: int = 224,
                normalize: bool = True) -> "torch.Tensor":
    """Image files as one float32 batch [N, 3, crop, crop]: torchvision's
    ImageNet evaluation transform (Resize, CenterCrop, pixels / 255, and the
    ImageNet mean/std unless normalize is False)."""
    pre = exporter.Preprocess(resize, crop, normalize)
    for p in paths:
        if not os.path.isfile(p):
            raise sparq.InputFileNotFoundError(f"sparq.torch: {os.fspath(p)}: no such image file")
    return torch.cat([exporter.load_image(os.fspath(p), pre) for p in paths])


def _batch(inputs: Any, what: str) -> List["torch.Tensor"]:
    """[1, C, H, W] float tensors from a tensor ([C, H, W] or [N, C, H, W]),
    a list of tensors, or image paths."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(p, (str, os.PathLike)) for p in inputs):
        inputs = load_images(inputs)
    if isinstance(inputs, np.ndarray):
        inputs = torch.from_numpy(inputs)
    if isinstance(inputs, torch.Tensor):
        if not inputs.is_floating_point():  # e.g. an image's uint8 pixels: not what the model takes
            raise sparq.InputTypeError(f"sparq.torch: {what}: expected float values (the model's input, e.g. "
                                       f"normalized pixels) or image paths, got a {inputs.dtype} array")
        if inputs.dim() == 3:
            inputs = inputs.unsqueeze(0)
        if inputs.dim() != 4 or inputs.shape[0] == 0:
            raise sparq.InputError(f"sparq.torch: {what}: expected [N, C, H, W] or [C, H, W], got {list(inputs.shape)}")
        return [t.unsqueeze(0).to(torch.float32) for t in inputs]
    if isinstance(inputs, (list, tuple)) and inputs:
        out = []
        for t in inputs:
            out += _batch(t, what)
        return out
    raise sparq.InputTypeError(f"sparq.torch: {what}: expected a tensor, a list of tensors or image paths, "
                               f"got {type(inputs).__name__}")


# --- Results ----------------------------------------------------------------

class TorchLayer:
    """One simulated layer: ``quantized`` (the bundle's arrays and meta:
    input, weights, weight_scales, bias, float_output, geometry, signed,
    scale, meta), ``run`` (the :class:`sparq.LayerRun`: ``exact`` int8
    accumulators and one DesignResult per design, by name or position)."""

    def __init__(self, quantized, run: "sparq.LayerRun"):
        self.quantized = quantized
        self.run = run

    name = property(lambda self: self.quantized.name)
    signed = property(lambda self: self.quantized.signed, doc="the input has negative values (runs at int8)")
    folded_batchnorm = property(lambda self: self.quantized.meta.get("folded_batchnorm"))
    exact = property(lambda self: self.run.exact, doc="the exact int8 accumulators")

    def __getitem__(self, design: Union[int, str]):
        return self.run[design]

    def __iter__(self):
        return iter(self.run)

    def dequantize(self, accumulators: np.ndarray) -> np.ndarray:
        """Accumulators [..., C_out] as float outputs: acc * activation_scale *
        weight_scales[oc] + bias[oc] (what the error against the float model uses)."""
        q = self.quantized
        y = np.asarray(accumulators, dtype=np.float64) * q.scale * q.weight_scales.astype(np.float64)
        return y + (0.0 if q.bias is None else q.bias.astype(np.float64))

    def ran_at(self, design: Union[int, str]) -> str:
        """"int8" when the design ran this layer on the int8 PE (signed input
        under a pair design), else the design's own name."""
        d = self.run[design]
        st = d.layer_stats
        return st["ran_at"].value if "ran_at" in st else d.name

    def __repr__(self) -> str:
        g = self.quantized.geometry
        return (f"sparq.torch.TorchLayer({self.name!r}: {g['op']} {g['input_shape']} -> {g['output_shape']}"
                f"{', signed' if self.signed else ''}, designs {[d.name for d in self.run]})")


def _value(stats, path: str):
    try:
        return stats.value(path)
    except KeyError:
        return None


class TorchRun(sparq.ByName):
    """The result of :func:`simulate`: the layers in model order (iterate,
    or index by module name or position) and a summary per layer and design."""

    def __init__(self, layers: List[TorchLayer], designs: List[str]):
        self.layers = layers
        self.designs = designs

    _items_attr = "layers"
    _item_kind = "layer"

    def summary(self) -> List[Dict[str, Any]]:
        """One dict per layer and design: layer, design, ran_at, cycles, macs,
        sqnr_vs_int8 [dB] (None when exact), rel_l2_vs_float, int8_rel_l2_vs_float."""
        rows = []
        for L in self.layers:
            for d in L.run:
                st = d.layer_stats
                rows.append({
                    "layer": L.name, "design": d.name, "ran_at": L.ran_at(d.name),
                    "cycles": _value(st, "cycles.total"), "macs": _value(st, "throughput.macs"),
                    "sqnr_vs_int8": _value(st, "error_vs_int8.sqnr"),
                    "mismatches_vs_int8": _value(st, "error_vs_int8.mismatches"),
                    "rel_l2_vs_float": _value(st, "error_vs_float.relative_l2"),
                    "int8_rel_l2_vs_float": _value(st, "int8_error_vs_float.relative_l2"),
                })
        return rows

    def table(self) -> str:
        """The summary as a text table (signed layers' int8 runs marked @int8)."""
        lines = [f"{'layer':24s} {'design':20s} {'cycles':>10s} {'SQNR i8':>8s} {'relL2 fl':>9s} {'i8 fl':>8s}",
                 f"{'':24s} {'':20s} {'[cycle]':>10s} {'[dB]':>8s} {'[1]':>9s} {'[1]':>8s}"]

        def num(v, fmt):
            return "-" if v is None else format(v, fmt)

        for r in self.summary():
            name = r["design"] + (" @int8" if r["ran_at"] == "int8" and r["design"] != "int8" else "")
            sq = "exact" if r["mismatches_vs_int8"] == 0 else num(r["sqnr_vs_int8"], ".1f")
            lines.append(f"{r['layer']:24s} {name:20s} {num(r['cycles'], 'd'):>10s} {sq:>8s} "
                         f"{num(r['rel_l2_vs_float'], '.4f'):>9s} {num(r['int8_rel_l2_vs_float'], '.4f'):>8s}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"sparq.torch.TorchRun({len(self.layers)} layers x designs {self.designs})"


# --- Simulation -------------------------------------------------------------

def _load_config(config: Any, designs: Optional[Sequence[Union[str, dict]]], set: List[str]) -> "sparq.Config":
    """The configuration (dict, path or a list of them), then `designs` as
    its ``compare:`` list, then the ``set`` overrides."""
    configs = [] if config is None else (list(config) if isinstance(config, (list, tuple)) else [config])
    if designs is not None:
        designs = [designs] if isinstance(designs, (str, dict)) else list(designs)
        configs.append({"compare": [design_config(d) for d in designs]})
    return sparq.load_config(*configs, set=set)


def simulate(model: "torch.nn.Module", sample_inputs: Any, config: Any = None, *,
             designs: Optional[Sequence[Union[str, dict]]] = None, layers: Union[str, Sequence[str]] = "all",
             calibration: Any = None, max_pixels: Optional[int] = None, fold_batchnorm: bool = True,
             set: Iterable[str] = (), verbose: bool = False) -> TorchRun:
    """Simulates ``layers`` of ``model`` on every design of the configuration.

    sample_inputs: a float tensor ``[N, C, H, W]`` (or ``[C, H, W]``), a list
        of them, or image paths (:func:`load_images`: torchvision's ImageNet
        evaluation transform). The first sample is the one simulated; all of
        them calibrate the activation scales unless ``calibration`` (same
        types) is given.
    config: what :func:`sparq.run_layer` takes (dict, YAML path, list,
        :class:`sparq.Config`; array, PE, memory keys); ``designs`` adds a
        ``compare:`` list of names ("int8", "vsparq-5opt", ...; see
        :func:`design_config`) or dicts to it.
    layers: "all" (every nn.Conv2d / nn.Linear), a comma list or a list of
        module names. max_pixels: simulate only each layer's first output
        pixels. fold_batchnorm: fold an eval-mode BatchNorm2d fed by a conv
        into it (as deployed int8 networks are). set: ``key.path=value``
        overrides. verbose: print the exporter's per-layer lines.

    Returns a :class:`TorchRun`. Raises sparq.InputError (a ValueError) for
    bad configurations and inputs, and :class:`ExportError` (also an
    InputError) for a layer the trace format cannot hold or a ``layers``
    name that is not a conv/linear module (the message names it). The model
    runs in eval mode; every module's training flag is restored afterwards.
    """
    if not isinstance(model, torch.nn.Module):
        raise sparq.InputTypeError(f"sparq.torch.simulate: model must be a torch.nn.Module, got {type(model).__name__}")
    samples = _batch(sample_inputs, "sample_inputs")
    calib = samples if calibration is None else _batch(calibration, "calibration")
    set = [set] if isinstance(set, str) else list(set)
    if max_pixels is not None:
        set.append(f"trace.max_pixels={sparq._int(max_pixels, 'sparq.torch.simulate: max_pixels', 0, 2**63 - 1)}")
    if isinstance(config, sparq.Config):
        if designs is not None or set:
            raise sparq.InputTypeError("sparq.torch.simulate: designs=, set= and max_pixels= need a dict or path "
                                       "configuration, not a sparq.Config")
        cfg = config
    else:
        cfg = _load_config(config, designs, set)  # validated once, shared by every layer
    log = (lambda s: print(s, file=sys.stderr)) if verbose else (lambda s: None)
    with _exporting(model):
        quantized = exporter.quantize_layers(model, samples[0], calib, layers, fold_batchnorms=fold_batchnorm, log=log)
    out = []
    for q in quantized:
        g = q.geometry
        op = g["op"]
        run = sparq.run_layer(q.input, q.weights, cfg, op=op, stride=g["stride"], padding=g["padding"],
                              dilation=g["dilation"], groups=g["groups"], weight_scales=q.weight_scales,
                              activation_scale=q.scale, bias=q.bias, float_output=q.float_output, name=q.name)
        out.append(TorchLayer(q, run))
    return TorchRun(out, list(cfg.designs))


def simulate_network(model: "torch.nn.Module", images: Sequence[Union[str, os.PathLike]], config: Any = None, *,
                     designs: Optional[Sequence[Union[str, dict]]] = None,
                     calibration: Optional[Sequence[Union[str, os.PathLike]]] = None, size: int = 224,
                     engine: Optional[str] = None, keep_accumulators: bool = False,
                     normalize: bool = True, set: Iterable[str] = ()) -> "sparq.NetworkRun":
    """The whole model, as ``sparq-sim infer`` runs a network bundle: every
    conv/dense layer under the design with the float ops between them, error
    propagating, the first convolution and signed-input layers at int8.

    The model must be torch.fx-traceable with the ops
    ``tools/torch_export/sparq_torch_network.py`` maps (its README). It is
    exported with that module in memory (the network bundle's structure
    with numpy arrays; nothing is written) and run with :func:`sparq.run_network`
    over ``images`` (photo paths at ``size`` x ``size``: ImageNet
    mean/std-normalized pixels / 255, as torchvision's models expect, or
    with ``normalize=False`` pixels / 255; the first convolution runs at
    int8 either way), calibrated on ``calibration`` (default: the
    images). ``designs`` as for :func:`simulate`. Returns the
    :class:`sparq.NetworkRun` (logits and probabilities per design,
    ``float_logits`` the model's own)."""
    if not isinstance(model, torch.nn.Module):
        raise sparq.InputTypeError(
            f"sparq.torch.simulate_network: model must be a torch.nn.Module, got {type(model).__name__}")
    def path_list(v: Any, what: str) -> List[str]:
        v = [v] if isinstance(v, (str, os.PathLike)) else v
        if not isinstance(v, (list, tuple)) or not v or not all(isinstance(p, (str, os.PathLike)) for p in v):
            empty = " (empty)" if isinstance(v, (list, tuple)) and not v else ""
            raise sparq.InputTypeError(f"sparq.torch.simulate_network: {what}: expected image paths, got "
                                       f"{type(v).__name__}{empty}")
        return [os.fspath(p) for p in v]

    paths = path_list(images, "images")
    calib = paths if calibration is None else path_list(calibration, "calibration")
    for p in paths + calib:
        if not os.path.isfile(p):
            raise sparq.InputFileNotFoundError(f"sparq.torch.simulate_network: {p}: no such image file")
    set = [set] if isinstance(set, str) else list(set)
    if engine is not None:
        set.append(f"network.engine={engine}")
    cfg = _load_config(config, designs, set)
    with _exporting(model):
        manifest = network_exporter.network_manifest(
            model, paths, calib, type(model).__name__, size,
            {"name": type(model).__name__, "source": "sparq.torch.simulate_network"}, normalize=normalize)
    return sparq.run_network(manifest, cfg, keep_accumulators=keep_accumulators)

