#!/usr/bin/python3
"""Export a whole PyTorch model as a SPARQ network bundle (traces/README.md,
"Network bundles") through torch.fx.

The model is traced with torch.fx.symbolic_trace; every node becomes a bundle
node: nn.Conv2d (grouped and depthwise too), nn.BatchNorm2d (folded into the
convolution that is its only input and has no other user), nn.Linear, ReLU,
ReLU6 / Hardtanh(0, 6), MaxPool2d, AvgPool2d (without padding, or with
count_include_pad=False), AdaptiveAvgPool2d(1), torch.cat along channels,
addition, Dropout / Identity, Flatten / flatten / view / reshape of a tensor
whose spatial size is 1x1 (so that NCHW and channels-last orders agree),
Softmax. Anything else is an error naming the node. Tensors are stored
channels last; convolution weights as HWIO. The network input is
pixels / 255, or with --normalize imagenet (the default for --model: how
torchvision's models are trained) (pixels / 255 - mean[c]) / std[c] with
ImageNet's mean and std, recorded as input.mean/std in the bundle (which
stores the uint8 pixels; the first convolution's input is then signed and
runs at int8 under every design, as in the paper); the logits are the model's output, and a softmax
node is appended if the model does not end in one.

Calibration as the tfjs exporter: every conv/linear input's scale is the mean
over the calibration images of the per-image max / 255, or max |x| / 127 if
the tensor is not non-negative by construction. The float references are
the original model's outputs; the folded graph, executed with torch ops, must
reproduce them (checked, relative tolerance 1e-4).

  /usr/bin/python3 tools/torch_export/sparq_torch_network.py --model resnet18 --random-weights \\
      --images /usr/share/darknet/data/dog.jpg,... --out DIR
"""

from __future__ import annotations

import argparse
import operator
import os
import sys
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import sparq_torch_export as ste  # noqa: E402
except ImportError as _e:  # numpy or PyYAML missing: the exporter's message (MissingDependency), no traceback
    if __name__ == "__main__":
        print(_e, file=sys.stderr)
        sys.exit(3)
    raise

import numpy as np  # noqa: E402

FOLD_TOLERANCE = 1e-4


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _hwc(shape) -> List[int]:
    s = list(shape)[1:]
    return [s[1], s[2], s[0]] if len(s) == 3 else s


def build_graph(model, example):
    """Bundle nodes (dicts) in topological order, from the fx graph."""
    import torch
    import torch.fx
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.fx.passes.shape_prop import ShapeProp

    gm = torch.fx.symbolic_trace(model)
    ShapeProp(gm).propagate(example)
    mods = dict(gm.named_modules())
    alias: Dict[str, str] = {}
    nodes: List[dict] = []
    folded = set()
    inp = None

    def shape_of(n):
        return _hwc(n.meta["tensor_meta"].shape)

    def src(a):
        if not isinstance(a, torch.fx.Node):
            raise ste.ExportError(f"an input that is not a tensor: {a!r}")
        return alias[a.name]

    for n in gm.graph.nodes:
        where = f"node '{n.name}' ({n.op} {n.target})"
        if n.op == "placeholder":
            if inp is not None:
                raise ste.ExportError(f"{where}: one network input expected")
            inp = {"name": n.name, "shape": shape_of(n)}
            alias[n.name] = n.name
            continue
        if n.op == "output":
            out = n.args[0]
            if not isinstance(out, torch.fx.Node):
                raise ste.ExportError("the model must return one tensor")
            logits = alias[out.name]
            continue
        if n.name in folded:
            continue
        node = {"name": n.name, "inputs": [], "output_shape": shape_of(n)}
        m = mods.get(n.target) if n.op == "call_module" else None
        fn = n.target if n.op == "call_function" else None
        meth = n.target if n.op == "call_method" else None
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            x = n.args[0]
            node["inputs"] = [src(x)]
            w = m.weight.detach().double().numpy()
            b = m.bias.detach().double().numpy() if m.bias is not None else np.zeros(w.shape[0])
            if isinstance(m, nn.Conv2d):
                if m.padding_mode != "zeros" or isinstance(m.padding, str):
                    raise ste.ExportError(f"{where}: padding must be explicit zeros")
                ph, pw = _pair(m.padding)
                cin = x.meta["tensor_meta"].shape[1]
                node.update(op="depthwise_conv2d" if m.groups == cin and m.groups > 1 and w.shape[1] == 1 else "conv2d",
                            kernel=list(_pair(m.kernel_size)), stride=list(_pair(m.stride)),
                            dilation=list(_pair(m.dilation)), padding=[ph, ph, pw, pw], groups=m.groups)
            else:
                if len(x.meta["tensor_meta"].shape) != 2:
                    raise ste.ExportError(f"{where}: a Linear layer needs a [N, features] input")
                w = w[:, :, None, None]
                node.update(op="dense", kernel=[1, 1], stride=[1, 1], dilation=[1, 1], padding=[0, 0, 0, 0], groups=1)
            users = list(n.users)
            if len(users) == 1 and users[0].op == "call_module" and isinstance(mods.get(users[0].target), nn.BatchNorm2d):
                bn = mods[users[0].target]
                if not ste.foldable_batchnorm(bn):
                    raise ste.ExportError(f"{where}: its BatchNorm2d is not in eval mode with running statistics")
                w, b = ste.fold_batchnorm(w, b, bn)
                folded.add(users[0].name)
                alias[users[0].name] = n.name
                node["folded_batchnorm"] = users[0].name
            node["w_oihw"] = w.astype(np.float32)
            node["bias"] = b.astype(np.float32)
        elif isinstance(m, nn.BatchNorm2d):
            raise ste.ExportError(f"{where}: BatchNorm2d not directly after a convolution cannot be folded")
        elif isinstance(m, nn.ReLU) or fn in (torch.relu, F.relu) or meth == "relu":
            node.update(op="relu", inputs=[src(n.args[0])])
        elif isinstance(m, nn.ReLU6) or (isinstance(m, nn.Hardtanh) and m.min_val == 0 and m.max_val == 6) or \
                fn is F.relu6:
            node.update(op="relu6", inputs=[src(n.args[0])])
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            if m.ceil_mode:
                raise ste.ExportError(f"{where}: ceil_mode is not supported")
            ph, pw = _pair(m.padding)
            if isinstance(m, nn.AvgPool2d) and (ph or pw) and m.count_include_pad:
                raise ste.ExportError(f"{where}: padded average pooling counting the padding is not supported")
            if isinstance(m, nn.MaxPool2d) and _pair(m.dilation) != (1, 1):
                raise ste.ExportError(f"{where}: dilated pooling is not supported")
            node.update(op="max_pool" if isinstance(m, nn.MaxPool2d) else "avg_pool", inputs=[src(n.args[0])],
                        pool=list(_pair(m.kernel_size)), stride=list(_pair(m.stride or m.kernel_size)),
                        padding=[ph, ph, pw, pw])
        elif isinstance(m, nn.AdaptiveAvgPool2d) or fn is F.adaptive_avg_pool2d:
            size = m.output_size if m is not None else n.kwargs.get("output_size", n.args[1] if len(n.args) > 1 else None)
            if _pair(size) != (1, 1):
                raise ste.ExportError(f"{where}: only AdaptiveAvgPool2d(1) is supported")
            node.update(op="global_avg_pool", inputs=[src(n.args[0])], output_shape=[shape_of(n)[2]])
        elif isinstance(m, (nn.Dropout, nn.Identity)):
            node.update(op="identity", inputs=[src(n.args[0])])
        elif isinstance(m, nn.Softmax) or fn in (torch.softmax, F.softmax):
            node.update(op="softmax", inputs=[src(n.args[0])])
        elif isinstance(m, nn.Flatten) or fn is torch.flatten or meth in ("flatten", "view", "reshape"):
            s = list(n.args[0].meta["tensor_meta"].shape)
            if len(s) == 4 and s[2] * s[3] != 1:
                raise ste.ExportError(f"{where}: flattening a {s[2]}x{s[3]} map: NCHW and channels-last orders differ")
            node.update(op="reshape", inputs=[src(n.args[0])])
        elif fn in (operator.add, torch.add) or meth == "add":
            node.update(op="add", inputs=[src(a) for a in n.args[:2]])
        elif fn is torch.cat:
            dim = n.kwargs.get("dim", n.args[1] if len(n.args) > 1 else 0)
            if dim not in (1, -3):
                raise ste.ExportError(f"{where}: concatenation along dim {dim}, only channels (1) supported")
            node.update(op="concat", inputs=[src(a) for a in n.args[0]])
        else:
            raise ste.ExportError(f"{where}: not supported by the network bundle format")
        nodes.append(node)
        alias[n.name] = n.name
    return gm, inp, nodes, logits


def run_folded(nodes, inp_name, x):
    """The folded graph with torch ops (NCHW): every node's output."""
    import torch
    import torch.nn.functional as F

    env = {inp_name: x}
    for nd in nodes:
        a = [env[i] for i in nd["inputs"]]
        op = nd["op"]
        if op in ("conv2d", "depthwise_conv2d"):
            t, b_, l, r = nd["padding"]
            y = F.conv2d(F.pad(a[0], (l, r, t, b_)), torch.from_numpy(nd["w_oihw"]), torch.from_numpy(nd["bias"]),
                         stride=nd["stride"], dilation=nd["dilation"], groups=nd["groups"])
        elif op == "dense":
            y = F.linear(a[0].reshape(a[0].shape[0], -1), torch.from_numpy(nd["w_oihw"][:, :, 0, 0]),
                         torch.from_numpy(nd["bias"]))
        elif op == "relu":
            y = F.relu(a[0])
        elif op == "relu6":
            y = a[0].clamp(0, 6)
        elif op in ("max_pool", "avg_pool"):
            t, b_, l, r = nd["padding"]
            if op == "max_pool":
                y = F.max_pool2d(a[0], nd["pool"], nd["stride"], (t, l))
            else:
                y = F.avg_pool2d(a[0], nd["pool"], nd["stride"], (t, l), count_include_pad=False)
        elif op == "global_avg_pool":
            y = a[0].mean(dim=(2, 3))
        elif op == "identity":
            y = a[0]
        elif op == "softmax":
            y = F.softmax(a[0].reshape(a[0].shape[0], -1), dim=1)
        elif op == "reshape":
            y = a[0].reshape(a[0].shape[0], -1)
        elif op == "add":
            y = a[0] + a[1]
        elif op == "concat":
            y = torch.cat(a, dim=1)
        env[nd["name"]] = y
    return env


def non_negative(nodes, inp_name, input_non_negative=True):
    nn_ = {inp_name} if input_non_negative else set()
    for nd in nodes:
        ok = all(i in nn_ for i in nd["inputs"])
        if nd["op"] in ("relu", "relu6", "softmax") or (
                nd["op"] in ("max_pool", "avg_pool", "global_avg_pool", "concat", "add", "identity", "reshape") and ok):
            nn_.add(nd["name"])
    return nn_


def to_hwc(t):
    a = t.detach().numpy()[0]
    return np.ascontiguousarray(a.transpose(1, 2, 0)) if a.ndim == 3 else a


def export_network(model, image_paths, calib_paths, out_dir, name, size=224, model_info=None, force=False,
                   normalize=False):
    """Writes the network bundle of `model` into out_dir (atomically: a
    temporary sibling directory renamed into place; an existing out_dir is
    replaced only with force) and returns the fold check's worst relative
    logit difference. normalize: the model sees ImageNet-normalized pixels,
    (pixels / 255 - mean[c]) / std[c]; the bundle keeps the pixels and
    records mean and std (input.mean/std), and the first convolution's input
    is signed."""
    import shutil

    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not force:
        raise ste.ExportError(f"{out_dir} exists (pass force=True / --force to replace it)")
    t = _trace_and_calibrate(model, image_paths, calib_paths, size, normalize)
    final_dir = out_dir
    out_dir = ste.make_temp_sibling(final_dir)
    try:
        def arr(fname, a, dtype):
            return {"path": fname, "sha256": ste.write_npy(os.path.join(out_dir, fname), a, dtype)}

        man = _manifest(t, image_paths, calib_paths, size, name, model, model_info, normalize, arr,
                        [ste.file_info(p) for p in image_paths])
        with open(os.path.join(out_dir, "network.yaml"), "w") as f:
            f.write(ste.dump_manifest(man))
            f.flush()
            os.fsync(f.fileno())
        ste._move_into_place(out_dir, final_dir, force)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return t.worst


def network_manifest(model, image_paths, calib_paths, name, size=224, model_info=None, normalize=False):
    """The network bundle of `model` held in memory, for sparq.run_network:
    the network.yaml structure with numpy arrays in place of array files
    (nothing written; the image list without packages or sha256s)."""
    t = _trace_and_calibrate(model, image_paths, calib_paths, size, normalize)
    return _manifest(t, image_paths, calib_paths, size, name, model, model_info, normalize,
                     lambda fname, a, dtype: np.ascontiguousarray(np.asarray(a).astype(np.dtype(dtype))),
                     [{"path": os.path.abspath(p)} for p in image_paths])


def _trace_and_calibrate(model, image_paths, calib_paths, size, normalize):
    """The folded graph of `model`, its calibrated activation scales, the
    evaluation images and the model's reference outputs (checked against
    the folded graph)."""
    import types

    import torch

    model.eval()
    pre = ste.Preprocess(resize=size * 256 // 224, crop=size, normalize=False)
    with torch.no_grad():
        loaded = {p: ste.load_image(p, pre) for p in dict.fromkeys(list(image_paths) + list(calib_paths))}  # once each
        pixels = [loaded[p] for p in image_paths]  # pixels / 255: what the bundle stores
        mean = torch.tensor(ste.IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(ste.IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)

        def model_input(x):
            return (x - mean) / std if normalize else x

        images = [model_input(x) for x in pixels]
        calib = [model_input(loaded[p]) for p in calib_paths]
        gm, inp, nodes, logits = build_graph(model, images[0])
        if not any(nd["name"] == logits and nd["op"] == "softmax" for nd in nodes):
            last = next(nd for nd in nodes if nd["name"] == logits)
            nodes.append({"name": logits + "_softmax", "op": "softmax", "inputs": [logits],
                          "output_shape": last["output_shape"]})
            probs = logits + "_softmax"
        else:
            probs, logits = logits, next(nd for nd in nodes if nd["name"] == logits)["inputs"][0]
        convs = [nd for nd in nodes if "w_oihw" in nd]
        nonneg = non_negative(nodes, inp["name"], input_non_negative=not normalize)
        maxima = {nd["inputs"][0]: [] for nd in convs}
        for x in calib:
            env = run_folded(nodes, inp["name"], x)
            for k in maxima:
                maxima[k].append(float(env[k].abs().max()))
        for nd in convs:
            s = nd["inputs"][0]
            nd["signed"] = s not in nonneg
            exact_pixels = s == inp["name"] and not normalize  # pixels / 255 quantize exactly at 1/255
            nd["scale"] = ste.float32(1 / 255) if exact_pixels else ste.activation_scale(maxima[s], nd["signed"])
        ref_logits, ref_probs, worst = [], [], 0.0
        for x in images:
            y = model(x)
            if y.ndim != 2:
                raise ste.ExportError("the model's output must be [N, classes]")
            env = run_folded(nodes, inp["name"], x)
            f = env[logits]
            worst = max(worst, float((f - y).abs().max() / y.abs().max().clamp_min(1e-12)))
            ref_logits.append(y[0].numpy().astype(np.float32))
            ref_probs.append(torch.softmax(y, dim=1)[0].numpy().astype(np.float32))
        if not worst <= FOLD_TOLERANCE:
            raise ste.ExportError(f"the folded graph does not reproduce the model ({worst} > {FOLD_TOLERANCE})")

    return types.SimpleNamespace(nodes=nodes, inp=inp, images=pixels, ref_logits=ref_logits, ref_probs=ref_probs,
                                 logits=logits, probs=probs, worst=worst, pre=pre)


def _manifest(t, image_paths, calib_paths, size, name, model, model_info, normalize, arr, image_list):
    """The network.yaml structure of a traced model t; arr(file name, array,
    dtype) gives an array's entry (a written file's {path, sha256}, or the
    array itself)."""
    nodes, inp, images, logits, probs, worst, pre = t.nodes, t.inp, t.images, t.logits, t.probs, t.worst, t.pre
    ref_logits, ref_probs = t.ref_logits, t.ref_probs
    pixels = np.stack([np.rint(to_hwc(x) * 255).astype(np.uint8) for x in images])
    man = {
        "format": "sparq-network-bundle", "format_version": 1, "name": name,
        "model": dict(model_info or {"name": type(model).__name__}),
        "exporter": {"name": "sparq-export-torch-network", "version": ste.EXPORTER_VERSION,
                     "fold_check": {"max_relative_logit_difference": worst, "tolerance": FOLD_TOLERANCE}},
        "input": {"name": inp["name"], "shape": [size, size, 3], "scale": ste.float32(1 / 255),
                  "preprocessing": pre.describe()},
        "calibration": {"method": "mean-of-max", "images": list(calib_paths)},
        "outputs": {"logits": logits, "probabilities": probs},
        "images": {"count": len(images), "pixels": arr("images.npy", pixels, "|u1"),
                   "float_logits": arr("float_logits.npy", np.stack(ref_logits), "<f4"),
                   "float_probabilities": arr("float_probabilities.npy", np.stack(ref_probs), "<f4"),
                   "list": image_list},
        "nodes": [],
    }
    if normalize:
        man["input"].update(mean=[ste.float32(v) for v in ste.IMAGENET_MEAN],
                            std=[ste.float32(v) for v in ste.IMAGENET_STD])
        man["input"]["preprocessing"] += "; then (x - mean[c]) / std[c] (input.mean, input.std: ImageNet)"
    for nd in nodes:
        e = {"name": nd["name"], "op": nd["op"], "inputs": nd["inputs"], "output_shape": nd["output_shape"]}
        for k in ("kernel", "stride", "dilation", "padding", "groups", "pool"):
            if k in nd:
                e[k] = nd[k]
        if "w_oihw" in nd:
            q, scales, _ = ste.quantize_weights(nd["w_oihw"])
            base = nd["name"]
            e.update(activation_signed=nd["signed"], activation_scale=nd["scale"])
            if "folded_batchnorm" in nd:
                e["meta"] = {"folded_batchnorm": nd["folded_batchnorm"]}
            e["files"] = {"weights": arr(base + ".weights.npy", q, "|i1"),
                          "weight_scales": arr(base + ".weight_scales.npy", scales, "<f4"),
                          "bias": arr(base + ".bias.npy", nd["bias"], "<f4"),
                          "float_weights": arr(base + ".float_weights.npy", nd["w_oihw"].transpose(2, 3, 1, 0), "<f4")}
        man["nodes"].append(e)
    return man


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--model", help="a torchvision.models builder, e.g. resnet18")
    g.add_argument("--module", help="pkg.mod:factory or path/to/file.py:factory returning an nn.Module")
    p.add_argument("--random-weights", action="store_true", help="seeded random weights (pretrained: false)")
    p.add_argument("--weights", help="a state_dict file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", required=True, help="comma-separated photos")
    p.add_argument("--calib", default=",".join(f"/usr/share/darknet/data/{n}.jpg" for n in
                                                 ("eagle", "giraffe", "horses", "kite", "person")))
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--normalize", choices=("imagenet", "none"),
                   help="the model's input: ImageNet mean/std normalized pixels / 255 (default with --model) "
                        "or pixels / 255 (default with --module)")
    p.add_argument("--out", help="bundle directory to create (default: traces/net/MODEL in this repository)")
    p.add_argument("--force", action="store_true", help="replace an existing --out directory")
    p.add_argument("--name")
    a = p.parse_args(argv)
    try:
        ste.require_packages()
    except ste.MissingDependency as e:
        print(e, file=sys.stderr)
        return 3
    try:
        model, info = ste.build_model(model=a.model, module=a.module, random_weights=a.random_weights,
                                      weights=a.weights, seed=a.seed)
        out = a.out or os.path.join(ste.TRACES_DIR, "net", ste.safe_name(info["name"]))
        for pth in a.images.split(",") + a.calib.split(","):
            if not os.path.isfile(pth):
                raise ste.ExportError(f"{pth}: no such image file")
        worst = export_network(model, a.images.split(","), a.calib.split(","), out,
                               a.name or os.path.basename(os.path.abspath(out)), a.size, info, force=a.force,
                               normalize=(a.normalize or ("imagenet" if a.model else "none")) == "imagenet")
    except ste.ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {os.path.abspath(out)}/network.yaml (folded graph vs model: {worst:.2e})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
