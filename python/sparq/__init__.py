"""sparq: sparq-sim's cycle-accurate SPARQ systolic-array simulator from Python.

    import numpy as np, sparq
    r = sparq.run_layer(x, w, {"pe": {"design": "vsparq", "shift_set": "5opt"}}, padding="same")
    r.accumulators          # int64 [H_out, W_out, C_out], bit-exact with the hardware
    r.cycles                # the array's cycle count
    r.stats["layers"]["layer"]["cycles"]["total"]   # Stat(value, unit, description)

Configurations are what ``sparq-sim run`` reads: a dict (the YAML file's
structure), a path to a YAML file, or a list of them merged in order, plus
``set=["key.path=value", ...]`` overrides. Errors are the CLI's: bad input
raises :class:`InputError` (a ``ValueError``), with :class:`InputTypeError`
(also a ``TypeError``) for wrong dtypes and types and
:class:`InputFileNotFoundError` (also a ``FileNotFoundError``) for missing
files. Nothing is written to disk. Reference: docs/python.md.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _sparq
from ._sparq import InputError, InputFileNotFoundError, InputTypeError, PAIR_MODES

__version__: str = _sparq.__version__  # the simulator's (CMake project) version

__all__ = [
    "Config", "load_config", "run_layer", "run_network", "LayerRun", "DesignResult", "NetworkRun",
    "NetworkDesignResult", "Stat", "Stats", "window", "trim", "pair_rule", "effective_activations", "quantize",
    "InputError", "InputTypeError", "InputFileNotFoundError", "PAIR_MODES", "config_reference",
]

ConfigLike = Union["Config", dict, str, os.PathLike, Sequence[Union[dict, str, os.PathLike]], None]


# --- Configurations ---------------------------------------------------------

class Config:
    """A validated run configuration (``RunConfig``): every design with its
    array, PE and memory settings. Build it with :func:`load_config`."""

    def __init__(self, native: "_sparq.RunConfig", docs: List[Tuple[bool, str, str, str]], sets: List[str]):
        self._native = native
        self._docs = docs  # what it was loaded from, to merge it again with more
        self._sets = sets

    @property
    def designs(self) -> List[str]:
        """The design names, in run order (``compare:`` entries, or the single ``pe:``)."""
        return list(self._native.designs)

    @property
    def effective_yaml(self) -> str:
        """The effective configuration as YAML, every default filled in."""
        return self._native.effective_yaml

    @property
    def max_pixels(self) -> int:
        return int(self._native.max_pixels)

    @property
    def network_bundle(self) -> str:
        return self._native.network_bundle

    @property
    def trace_bundle(self) -> str:
        return self._native.trace_bundle

    def __repr__(self) -> str:
        return f"sparq.Config(designs={self.designs!r}, source={self._native.source!r})"


def _to_plain(obj: Any) -> Any:
    """Numpy scalars and arrays, tuples and paths inside a config dict as JSON values."""
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_plain(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def _bad_value(obj: Any, path: str = "") -> str:
    """Where a config dict holds a value that is not a number, string, bool, None, list or dict."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _bad_value(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
        return ""
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found = _bad_value(v, f"{path}.{i}")
            if found:
                return found
        return ""
    if obj is None or isinstance(obj, (str, int, float, bool, np.generic, np.ndarray, os.PathLike)):
        return ""
    return f"{path}: expected a number, string, list or mapping, got {type(obj).__name__}"


def load_config(*configs: Union[dict, str, os.PathLike, Sequence], set: Iterable[str] = ()) -> Config:
    """Loads and validates a configuration, exactly as ``sparq-sim run`` does.

    Each argument is a dict (the YAML structure; relative paths in it resolve
    against the current directory), a path to a YAML file (relative paths in
    it against the file), a Config (what it was loaded from, with its
    overrides), or a list of these; all are merged in order (later
    keys win), then the ``set`` overrides (``"array.rows=32"``) apply. No
    argument: the built-in defaults. Raises InputError (InputFileNotFoundError
    for a missing file) with the CLI's message naming the file and key.
    """
    docs: List[Tuple[bool, str, str, str]] = []

    def add(c: Any, index: int) -> None:
        if c is None:
            return
        if isinstance(c, Config):
            docs.extend(c._docs)
            sets.extend(c._sets)
        elif isinstance(c, dict):
            try:
                text = json.dumps(_to_plain(c), allow_nan=True)
            except TypeError as e:  # a value YAML cannot hold (an object, a set, ...)
                raise InputTypeError(f"<config dict {index}>: {_bad_value(c)}") from None
            docs.append((False, f"<config dict {index}>", text, os.getcwd()))
        elif isinstance(c, (str, os.PathLike)):
            path = os.fspath(c)
            if not os.path.exists(path) and os.sep not in path and not path.endswith((".yaml", ".yml")):
                raise InputFileNotFoundError(
                    f"{path}: configuration file not found (a configuration is a dict or a YAML path; for a "
                    f"design: {{'pe': {{'design': '{path}'}}}}, or designs=['{path}'] in sparq.torch)")
            docs.append((True, path, "", ""))
        elif isinstance(c, (list, tuple)):
            for x in c:
                add(x, index)
        else:
            raise InputTypeError(f"load_config: a configuration is a dict or a YAML path, got {type(c).__name__}")

    sets: List[str] = []
    for i, c in enumerate(configs):
        add(c, i)
    sets += [set] if isinstance(set, str) else [str(x) for x in set]
    return Config(_sparq.load_config(docs, sets), docs, sets)


def _config(config: ConfigLike, set: Iterable[str] = ()) -> Config:
    set = list(set)
    if isinstance(config, Config) and not set:
        return config
    if config is None:
        return load_config(set=set)
    return load_config(config, set=set)


def config_reference() -> str:
    """Every configuration key with its default and meaning (``sparq-sim run --help``)."""
    return _sparq.config_reference()


# --- Statistics -------------------------------------------------------------

class Stat(NamedTuple):
    """One statistic: value (int, float, str, or None when undefined, e.g. the
    SQNR of an exact result), unit ("cycle", "MAC", "%", "dB", "1", ""
    for text) and description."""
    value: Any
    unit: str
    description: str

    def __repr__(self) -> str:
        return f"Stat({self.value!r} {self.unit}: {self.description})"


class Stats(dict):
    """A group of statistics (the structure of results.json): maps names to
    :class:`Stat` or to sub-groups; ``description`` says what the group is."""

    description: str = ""

    def flat(self, prefix: str = "") -> Dict[str, Stat]:
        """Every statistic under dotted names, e.g. ``"cycles.total"`` (the CSV columns)."""
        out: Dict[str, Stat] = {}
        for k, v in self.items():
            if isinstance(v, Stats):
                out.update(v.flat(prefix + k + "."))
            else:
                out[prefix + k] = v
        return out

    def value(self, path: str) -> Any:
        """The value of a statistic by dotted path: ``stats.value("cycles.total")``."""
        node: Any = self
        for part in path.split("."):
            node = node[part]
        if not isinstance(node, Stat):
            raise KeyError(f"{path} is a group, not a statistic")
        return node.value


def _stats(tree: tuple) -> Stats:
    name, desc, stats, children = tree
    g = Stats()
    g.description = desc
    for n, v, unit, d in stats:
        g[n] = Stat(v, unit, d)
    for c in children:
        g[c[0]] = _stats(c)
    return g


# --- Layers -----------------------------------------------------------------

class DesignResult:
    """One design's run of a layer. ``accumulators``: int64 ``[H_out, W_out,
    C_out]`` (``[pixels, C_out]`` when ``max_pixels`` simulated only the first
    pixels), wrapped to the accumulator width like the hardware. Signed
    activations under a pair design run on the int8 PE (as the paper keeps
    such layers at 8 bits; ``layer_stats["ran_at"]`` is "int8").
    ``stats``: the design's group of results.json (``config``, ``layers``
    with this layer, ``total``), every statistic with unit and description."""

    def __init__(self, name: str, layer: str, accumulators: Optional[np.ndarray], stats: Stats):
        self.name = name
        self.layer = layer
        self.accumulators = accumulators
        self.stats = stats

    @property
    def layer_stats(self) -> Optional[Stats]:
        """This layer's statistics (cycles, throughput, pairs, windows, errors, energy ...);
        None from the functional engine."""
        return None if self.stats is None else self.stats["layers"][self.layer]

    @property
    def skipped(self) -> bool:
        return self.accumulators is None

    @property
    def cycles(self) -> Optional[int]:
        """Total cycles of the layer on the array (None if skipped)."""
        return None if self.skipped or self.stats is None else self.layer_stats["cycles"]["total"].value

    def __repr__(self) -> str:
        what = "skipped" if self.skipped else f"{self.cycles} cycles, accumulators {self.accumulators.shape}" \
            if self.stats is not None else f"functional, accumulators {self.accumulators.shape}"
        return f"sparq.DesignResult({self.name!r}: {what})"


class ByName:
    """A sequence of named results: iterate, ``len``, index by position or by
    ``.name``. Subclasses name the list attribute and what it holds."""

    _items_attr = "designs"
    _item_kind = "design"

    def _items(self) -> list:
        return getattr(self, self._items_attr)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __getitem__(self, key: Union[int, str]) -> Any:
        items = self._items()
        if isinstance(key, int):
            return items[key]
        for item in items:
            if item.name == key:
                return item
        kinds = self._item_kind + "s"
        raise KeyError(f"no {self._item_kind} {key!r} in this run ({kinds}: {', '.join(i.name for i in items)})")


class LayerRun(ByName):
    """The result of :func:`run_layer`: one :class:`DesignResult` per design
    (iterate, or index by design name or position), the exact int8
    accumulators (``exact``), and shortcuts to the only design's fields when
    the configuration has one design."""

    def __init__(self, layer: str, exact: np.ndarray, designs: List[DesignResult]):
        self.layer = layer
        self.exact = exact
        self.designs = designs

    def _only(self) -> DesignResult:
        if len(self.designs) != 1:
            raise ValueError(f"this run has {len(self.designs)} designs ({', '.join(d.name for d in self.designs)}); "
                             "pick one: result['name']")
        return self.designs[0]

    @property
    def accumulators(self) -> Optional[np.ndarray]:
        return self._only().accumulators

    @property
    def stats(self) -> Stats:
        return self._only().stats

    @property
    def layer_stats(self) -> Stats:
        return self._only().layer_stats

    @property
    def cycles(self) -> Optional[int]:
        return self._only().cycles

    def __repr__(self) -> str:
        return f"sparq.LayerRun({self.layer!r}, {self.designs!r})"


_INT32_MAX = 2**31 - 1


def _int(v: Any, what: str, lo: int = -_INT32_MAX, hi: int = _INT32_MAX) -> int:
    """An integer argument (int or numpy integer, not bool nor float) in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise InputTypeError(f"{what}: expected an integer, got {type(v).__name__} {v!r}")
    if not lo <= int(v) <= hi:
        raise InputError(f"{what}: must be in {lo}..{hi}, got {int(v)}")
    return int(v)


def _float(v: Any, what: str) -> float:
    """A real-number argument (int, float or numpy scalar, not bool nor str)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"{what}: expected a number, got {type(v).__name__} {v!r}")
    return float(v)


def _ints(v: Any, what: str) -> List[int]:
    """One integer or a sequence of them."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_int(x, what) for x in v]
    return [_int(v, what)]


def _pair(v: Union[int, Sequence[int]], what: str) -> List[int]:
    v = _ints(v, f"run_layer: {what}")
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise InputError(f"run_layer: {what} takes one value or two (height, width), got {len(v)}")
    return v


def _padding(padding: Union[str, int, Sequence[int]], H: int, W: int, K: Sequence[int], S: Sequence[int],
             D: Sequence[int]) -> List[int]:
    if isinstance(padding, str):
        if padding == "valid":
            return [0, 0, 0, 0]
        if padding != "same":
            raise InputError(f"run_layer: padding must be 'same', 'valid', an int, (ph, pw) or "
                             f"(top, bottom, left, right), got '{padding}'")
        out = []
        for size, k, s, d in ((H, K[0], S[0], D[0]), (W, K[1], S[1], D[1])):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)  # TensorFlow's SAME
            out += [total // 2, total - total // 2]
        return out
    p = _ints(padding, "run_layer: padding")
    if len(p) == 1:
        return p * 4
    if len(p) == 2:
        return [p[0], p[0], p[1], p[1]]
    if len(p) == 4:
        return p
    raise InputError(f"run_layer: padding takes 1, 2 or 4 values, got {len(p)}")


def run_layer(input: np.ndarray, weights: np.ndarray, config: ConfigLike = None, *, op: Optional[str] = None,
              stride: Union[int, Sequence[int]] = 1, padding: Union[str, int, Sequence[int]] = "valid",
              dilation: Union[int, Sequence[int]] = 1, groups: int = 1,
              weight_scales: Optional[np.ndarray] = None, activation_scale: float = 1.0,
              bias: Optional[np.ndarray] = None, float_output: Optional[np.ndarray] = None,
              name: str = "layer", set: Iterable[str] = (), max_pixels: Optional[int] = None,
              engine: str = "array") -> LayerRun:
    """Runs one quantized layer through every design of ``config`` on the
    simulated array (as ``sparq-sim run`` runs a bundle's layer) and returns
    the accumulators and every statistic. Nothing is written to disk.

    input:   uint8 ``[H, W, C_in]`` activations (int8: signed activations,
             which the pair designs run at int8, as the paper); dense: ``[C_in]``.
    weights: int8 ``[KH, KW, C_in/groups, C_out]`` (the trace bundle layout,
             traces/README.md); dense: ``[C_in, C_out]``.
    op:      "conv2d" | "depthwise_conv2d" | "dense" (default: dense for 1-D
             input, else conv2d; depthwise sets groups = C_in).
    stride, dilation: int or (h, w); padding: "valid" | "same" (TensorFlow's
             rule) | int | (ph, pw) | (top, bottom, left, right).
    weight_scales (float32 [C_out], default 1), activation_scale, bias
             (float32 [C_out]), float_output (float32 [H_out, W_out, C_out]):
             only for the error against the float model (``error_vs_float``).
    config:  dict, YAML path, list of them, or a :class:`Config`; ``set``:
             ``key.path=value`` overrides; ``max_pixels``: simulate only the
             first output pixels (``trace.max_pixels``).
    engine:  "array" (default): the cycle-accurate array model, with every
             statistic; "functional": the bit-exact functional core only
             (the same accumulators, 10-25 G MAC/s; no cycles, stats None).

    Returns a :class:`LayerRun`. Raises InputError / InputTypeError with the
    CLI's messages for bad shapes, dtypes, geometry and configuration.
    """
    for arg, value in (("name", name), ("op", op)):
        if value is not None and not isinstance(value, str):
            raise InputTypeError(f"run_layer: {arg}: expected a string, got {type(value).__name__} {value!r}")
    set = [set] if isinstance(set, str) else list(set)
    if max_pixels is not None:
        set.append(f"trace.max_pixels={_int(max_pixels, 'run_layer: max_pixels', 0, 2**63 - 1)}")
    cfg = _config(config, set)
    groups = _int(groups, "run_layer: groups")
    activation_scale = _float(activation_scale, "run_layer: activation_scale")
    if not isinstance(input, np.ndarray):
        raise InputTypeError(f"run_layer: layer '{name}': input: expected a numpy array, got {type(input).__name__}")
    if not isinstance(weights, np.ndarray):
        raise InputTypeError(f"run_layer: layer '{name}': weights: expected a numpy array, "
                             f"got {type(weights).__name__}")
    if op is None:
        op = "dense" if input.ndim == 1 else "conv2d"
    if op == "dense":
        if input.ndim == 1:
            input = input.reshape(1, 1, -1)
        if weights.ndim == 2:
            weights = weights.reshape(1, 1, *weights.shape)
        if float_output is not None and isinstance(float_output, np.ndarray) and float_output.ndim == 1:
            float_output = float_output.reshape(1, 1, -1)
    if op == "depthwise_conv2d" and input.ndim == 3:
        groups = input.shape[2]
    S, D = _pair(stride, "stride"), _pair(dilation, "dilation")
    K = weights.shape[:2] if weights.ndim == 4 else (1, 1)
    H, W = (input.shape[0], input.shape[1]) if input.ndim == 3 else (1, 1)
    pad = _padding(padding, H, W, K, S, D)
    if engine not in ("array", "functional"):
        raise InputError(f"run_layer: engine must be 'array' or 'functional', got '{engine}'")
    exact, designs = _sparq.run_layer(cfg._native, name, op, input, weights, weight_scales, bias, float_output,
                                      activation_scale, S, D, pad, groups, engine == "functional")
    return LayerRun(name, exact, [DesignResult(n, name, acc, None if st is None else _stats(st))
                                  for n, acc, st in designs])


# --- Networks ---------------------------------------------------------------

class NetworkDesignResult:
    """One design's run of a network bundle: ``logits`` and ``probabilities``
    float32 ``[images, classes]``; ``layer_stats`` {node: Stats} of the timed
    image (``network.cycles_image``) on the array model; ``accumulators``
    {node: int64 [H_out, W_out, C_out]} of the timed image when requested;
    ``int8_layers``: conv/dense nodes run at int8."""

    def __init__(self, name, logits, probabilities, accumulators, layer_stats, int8_layers):
        self.name = name
        self.logits = logits
        self.probabilities = probabilities
        self.accumulators = accumulators
        self.layer_stats = {k: _stats(v) for k, v in layer_stats.items()}
        self.int8_layers = int8_layers

    @property
    def cycles(self) -> int:
        """Cycles of the timed image's whole inference (sum over conv/dense nodes)."""
        return sum(s["cycles"]["total"].value for s in self.layer_stats.values())

    def __repr__(self) -> str:
        return f"sparq.NetworkDesignResult({self.name!r}: logits {self.logits.shape}, {self.cycles} cycles)"


class NetworkRun(ByName):
    """The result of :func:`run_network`: ``designs`` (one
    :class:`NetworkDesignResult` each; index by name or position),
    ``float_logits`` (the original float network's, from the bundle)."""

    def __init__(self, name, images, float_logits, designs):
        self.name = name
        self.images = images
        self.float_logits = float_logits
        self.designs = designs

    def __repr__(self) -> str:
        return f"sparq.NetworkRun({self.name!r}, {self.images} images, {self.designs!r})"


def _network_in_memory(manifest: dict) -> Tuple[str, str, Dict[str, bytes]]:
    """A network.yaml structure with numpy arrays in place of array files ->
    (label, manifest JSON, {generated name: .npy bytes})."""
    import io
    arrays: Dict[str, bytes] = {}

    def walk(o: Any, where: str) -> Any:
        if isinstance(o, np.ndarray):
            name = f"{where}.npy"
            if o.dtype.hasobject:
                raise InputTypeError(f"run_network: network dict: {where}: an array of Python objects, "
                                     "expected numbers")
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(o), allow_pickle=False)
            arrays[name] = buf.getvalue()
            return name
        if isinstance(o, dict):
            return {str(k): walk(v, f"{where}.{k}" if where else str(k)) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            if o and all(isinstance(x, dict) and "name" in x for x in o):  # nodes: label arrays by node name
                return [walk(x, f"{where}[{x['name']}]") for x in o]
            return [walk(x, f"{where}[{i}]") for i, x in enumerate(o)]
        return _to_plain(o)

    plain = walk(manifest, "")
    plain.setdefault("format", "sparq-network-bundle")
    plain.setdefault("format_version", 1)
    try:
        text = json.dumps(plain)
    except TypeError:
        raise InputTypeError(f"run_network: network dict: {_bad_value(plain)}") from None
    return "<network dict>", text, arrays


def run_network(bundle: Union[str, os.PathLike, dict, None] = None, config: ConfigLike = None, *,
                images: Optional[int] = None, engine: Optional[str] = None, keep_accumulators: bool = False,
                set: Iterable[str] = ()) -> NetworkRun:
    """Runs a network bundle (traces/README.md, "Network bundles"; e.g. one
    written by tools/torch_export/sparq_torch_network.py) over its images
    under every design of ``config``, as ``sparq-sim infer`` does (the
    ``network:`` keys apply: first_layer, overrides, engine, cycles_image),
    without writing anything. ``bundle`` is the bundle directory (default:
    the config's ``network.bundle``) or a network held in memory: a dict
    with network.yaml's structure whose array references (``files``'
    entries, ``images``' pixels / float_logits / float_probabilities) are
    numpy arrays; ``format`` and ``format_version`` may be left out.
    ``images`` limits to the first N; ``engine``: "functional" (default) or
    "array"."""
    set = [set] if isinstance(set, str) else list(set)
    if images is not None:
        set.append(f"network.images={_int(images, 'run_network: images', 0, 2**63 - 1)}")
    if engine is not None:
        set.append(f"network.engine={json.dumps(str(engine))}")
    cfg = _config(config, set)
    memory = None
    if isinstance(bundle, dict):
        memory, path = _network_in_memory(bundle), ""
    elif bundle is not None and not isinstance(bundle, (str, os.PathLike)):
        raise InputTypeError(f"run_network: bundle: expected a directory path or a dict, got {type(bundle).__name__}")
    else:
        path = os.fspath(bundle) if bundle is not None else cfg.network_bundle
        if not path:
            raise InputError("run_network: no network bundle (give bundle= or network.bundle in the configuration)")
    name, n, float_logits, designs = _sparq.run_network(cfg._native, path, bool(keep_accumulators), memory)
    return NetworkRun(name, n, float_logits, [NetworkDesignResult(*d) for d in designs])


# --- The arithmetic, vectorized ---------------------------------------------

def quantize(x: np.ndarray, scale: float, signed: bool = False) -> np.ndarray:
    """The activation quantizer of whole-network runs (traces/README.md,
    "Network bundles"): ``clamp(round_half_even(x / scale))`` in float32 to
    [0, 255] as uint8, or with ``signed`` to [-127, 127] as int8. x: float32."""
    return _sparq.quantize(x, _float(scale, "quantize: scale"), bool(signed))


class Window(NamedTuple):
    """bSPARQ window select (docs/arithmetic.md §2) of every element:
    ``value`` (uint16) = ``contents << shift``, the trimmed activation."""
    value: np.ndarray
    contents: np.ndarray
    shift: np.ndarray
    rounded_up: np.ndarray
    saturated: np.ndarray
    renormed: np.ndarray


def _shift_set(shift_set: Union[str, Sequence[int]]) -> str:
    if isinstance(shift_set, str):
        return shift_set
    if not isinstance(shift_set, (list, tuple, np.ndarray)):
        raise InputTypeError(f"window: shift_set: expected a preset name or a list of shifts, "
                             f"got {type(shift_set).__name__}")
    return ",".join(str(_int(s, "window: shift_set", 0, 7)) for s in shift_set)


def window(a: np.ndarray, shift_set: Union[str, Sequence[int]] = "5opt", window_bits: Optional[int] = None,
           rounding: str = "round") -> Window:
    """bSPARQ's window select over a uint8 array of any shape: the shift
    encoder, window multiplexer and rounding of the functional core.
    shift_set: a preset ("5opt", "3opt", "2opt", "6opt", "7opt", "6b-3opt",
    "1opt", "8b") or a list of shifts; window_bits: the window width n
    (default: the preset's, 4 for a list); rounding: "trunc" | "round" |
    "round_renorm"."""
    bits = 0 if window_bits is None else _int(window_bits, "window: window_bits", 1, 8)
    if not isinstance(rounding, str):
        raise InputTypeError(f"window: rounding: expected 'trunc', 'round' or 'round_renorm', got {rounding!r}")
    return Window(*_sparq.window_select(a, _shift_set(shift_set), bits, rounding))


def trim(a: np.ndarray, shift_set: Union[str, Sequence[int]] = "5opt", window_bits: Optional[int] = None,
         rounding: str = "round") -> np.ndarray:
    """The trimmed activations (uint16, same shape): ``window(...).value``."""
    return window(a, shift_set, window_bits, rounding).value


def _pe(design: Union[str, dict, Config, None], pe: Dict[str, Any]):
    if isinstance(design, Config):
        cfg = load_config(design, {"pe": pe}) if pe else design
    elif isinstance(design, dict):
        cfg = load_config({"pe": {**design, **pe}})
    else:
        cfg = load_config({"pe": {"design": design or "vsparq", **pe}})
    if len(cfg.designs) != 1:
        raise InputError(f"pair_rule: the configuration has {len(cfg.designs)} designs; give one")
    return _sparq.design_pe(cfg._native, 0)


class Pairs(NamedTuple):
    """A design's pair rule on (a1, a2): the effective activations (int16)
    with ``a1_eff * w1 + a2_eff * w2`` = the PE's product, and the pair mode
    (uint8 index into ``sparq.PAIR_MODES``)."""
    a1: np.ndarray
    a2: np.ndarray
    mode: np.ndarray


def pair_rule(a1: np.ndarray, a2: np.ndarray, design: Union[str, dict, Config, None] = "vsparq",
              **pe: Any) -> Pairs:
    """A PE design's front end (zero detectors, windows, pair multiplexer)
    on pairs of uint8 activations: ``pair_rule(a1, a2, "vsparq",
    shift_set="3opt")`` or ``design={"design": "bsparq", "shift_set":
    "2opt"}`` (the ``pe:`` section's keys). vSPARQ (docs/arithmetic.md §3):
    two nonzero activations each get a window; if one is zero, the other
    gets the partner window (exact 8 bits at budget 4)."""
    return Pairs(*_sparq.pair_rule(a1, a2, _pe(design, pe)))


def effective_activations(a: np.ndarray, design: Union[str, dict, Config, None] = "vsparq", **pe: Any) -> np.ndarray:
    """What a design computes with: the activations of ``a`` (uint8, pairs
    along the last axis, as the GEMM lowering pairs consecutive k; an odd
    length is padded with a zero) replaced by their effective values (int16,
    same shape), so that ``effective_activations(A) @ W`` equals the
    design's accumulators (without accumulator wrap)."""
    if not isinstance(a, np.ndarray):
        raise InputTypeError(f"effective_activations: expected a numpy array, got {type(a).__name__}")
    if a.dtype != np.uint8:
        raise InputTypeError(f"effective_activations: a has dtype {a.dtype.str}, expected |u1")
    k = a.shape[-1]
    if k % 2:
        a = np.concatenate([a, np.zeros(a.shape[:-1] + (1,), a.dtype)], axis=-1)
    p = pair_rule(np.ascontiguousarray(a[..., 0::2]), np.ascontiguousarray(a[..., 1::2]), design, **pe)
    out = np.empty(a.shape, np.int16)
    out[..., 0::2] = p.a1
    out[..., 1::2] = p.a2
    return out[..., :k]
