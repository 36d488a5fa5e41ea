#!/usr/bin/env python3
"""Tables for bench/scalesim_memory.sh: SCALE-Sim v2's memory model
(memory_probe.py JSON) against sparq-sim's (results.json) on the same layer.

    memory_table.py CASES_FILE

CASES_FILE: one case per line, fields separated by '|':
    kind|name|layer|description|scalesim.json|label=results.json[,label=results.json...]
kind is `parity` (large buffers, ample bandwidth: the cycles must agree) or
`compare` (side by side, with the artefact counters). Exits 1 when a parity
case does not agree.
"""
import json
import sys


def sq_load(path, layer):
    d = json.load(open(path))
    (design,) = [v for k, v in d["designs"].items() if not k.startswith("_")]
    L = design["layers"][layer]
    out = {}
    for group in ("cycles", "memory"):
        for k, v in L.get(group, {}).items():
            if isinstance(v, dict) and "value" in v:
                out[f"{group}.{k}"] = v["value"]
    return out


def fmt(x):
    if isinstance(x, str):
        return x
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.2f}"
    return f"{int(x):,}"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def table(header, rows):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print(line(r))


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    cases = []
    for raw in open(argv[0]):
        raw = raw.rstrip("\n")
        if not raw:
            continue
        kind, name, layer, desc, ssj, sqs = raw.split("|")
        ss = json.load(open(ssj))
        sq = []
        for item in sqs.split(","):
            label, path = item.split("=", 1)
            sq.append((label, sq_load(path, layer)))
        cases.append((kind, name, layer, desc, ss, sq))

    fails = 0
    parity = [c for c in cases if c[0] == "parity"]
    if parity:
        print("Parity: scratchpads that hold the layer, ample bandwidth. SCALE-Sim: 8192 KB each,")
        print("Bandwidth 100000, USER; its total is its compute cycles when its stall count is 0.")
        print("sparq-sim: memory.enabled, every other memory key at its default (unlimited, as")
        print("configs/memory/ideal.yaml); scalesim_compute is its SCALE-Sim-compatible count of the")
        print("same array (hw_models/systemc/README.md: its cycles.total is ws +2 per GEMM, os +1+R per fold).")
        print()
        rows = []
        for kind, name, layer, desc, ss, sq in parity:
            (label, q), = sq
            ok = (ss["stall_cycles"] == 0 and q["cycles.stall"] == 0
                  and ss["total_cycles"] == q["cycles.scalesim_compute"])
            fails += not ok
            rows.append([desc, fmt(ss["total_cycles"]), fmt(ss["stall_cycles"]),
                         fmt(q["cycles.scalesim_compute"]), fmt(q["cycles.stall"]), fmt(q["cycles.total"]),
                         "yes" if ok else "NO"])
        table(["case", "SCALE-Sim total", "SCALE-Sim stall", "sparq scalesim_compute", "sparq stall",
               "sparq cycles.total", "equal"], rows)
        print()

    for kind, name, layer, desc, ss, sq in cases:
        if kind != "compare":
            continue
        q0 = sq[0][1]
        ui, uf, uo = q0["memory.unique_ifmap"], q0["memory.unique_filter"], q0["memory.unique_ofmap"]
        print(f"Side by side: {desc}")
        print(f"unique bytes: ifmap {fmt(ui)} (padded input {fmt(ss['ifmap_padded_bytes'])}), "
              f"filter {fmt(uf)}, ofmap {fmt(uo)}")
        print()
        ss_compute = ss["total_cycles"] - ss["stall_cycles"]
        ss_dram = ss["dram_ifmap_reads"] + ss["dram_filter_reads"] + ss["dram_ofmap_writes"]
        header = ["", "SCALE-Sim v2"] + [f"sparq-sim {label}" for label, _ in sq]
        rows = []

        def row(name, ssv, f):
            rows.append([name, ssv] + [f(q) for _, q in sq])

        row("cycles (SCALE-Sim-compatible: compute + stall)", fmt(ss["total_cycles"]),
            lambda q: fmt(q["cycles.scalesim_compute"] + q["cycles.stall"]))
        row("  sparq-sim cycles.total (own timing)", "-", lambda q: fmt(q["cycles.total"]))
        row("compute cycles (SCALE-Sim-compatible)", fmt(ss_compute), lambda q: fmt(q["cycles.scalesim_compute"]))
        row("stall cycles", fmt(ss["stall_cycles"]), lambda q: fmt(q["cycles.stall"]))
        row("  of which ifmap / filter / ofmap", "(one count)",
            lambda q: f"{fmt(q['memory.stall_ifmap'])} / {fmt(q['memory.stall_filter'])} / {fmt(q['memory.stall_ofmap'])}")
        row("DRAM ifmap reads [B] (x unique)", f"{fmt(ss['dram_ifmap_reads'])} ({ratio(ss['dram_ifmap_reads'], ui)})",
            lambda q: f"{fmt(q['memory.dram_ifmap_read'])} ({ratio(q['memory.dram_ifmap_read'], ui)})")
        row("DRAM filter reads [B] (x unique)", f"{fmt(ss['dram_filter_reads'])} ({ratio(ss['dram_filter_reads'], uf)})",
            lambda q: f"{fmt(q['memory.dram_filter_read'])} ({ratio(q['memory.dram_filter_read'], uf)})")
        row("DRAM ofmap writes [B] (x unique)", f"{fmt(ss['dram_ofmap_writes'])} ({ratio(ss['dram_ofmap_writes'], uo)})",
            lambda q: f"{fmt(q['memory.dram_ofmap_write'])} ({ratio(q['memory.dram_ofmap_write'], uo)})")
        row("DRAM bytes per reported cycle", f"{ss_dram / ss['total_cycles']:.2f}",
            lambda q: f"{(q['memory.dram_ifmap_read'] + q['memory.dram_filter_read'] + q['memory.dram_ofmap_write']) / q['cycles.total']:.2f}")
        row("DRAM traffic before cycle 0 (not counted)",
            f"ifmap {fmt(-ss['dram_ifmap_start'])} cyc, filter {fmt(-ss['dram_filter_start'])} cyc", lambda q: "0 (counted)")
        row("ofmap DRAM writes after the reported end",
            f"{fmt(max(0, ss['dram_ofmap_stop'] - ss['total_cycles']))} cyc", lambda q: "0 (counted)")
        table(header, rows)
        print()
        print("SCALE-Sim's memory model, counted (memory_probe.py):")
        pad = ss.get("ifmap_padding_slots")
        print(f"  ifmap prefetch matrix: {fmt(ss['ifmap_fetch_slots'])} slots (im2col, "
              f"{ratio(ss['ifmap_fetch_slots'], ui)} the unique bytes), {fmt(ss['ifmap_fetch_unique'])} distinct addresses"
              + (f", {fmt(pad)} slots / {fmt(ss['ifmap_padding_unique'])} addresses in the zero padding" if pad is not None else ""))
        for b in ("ifmap", "filter"):
            print(f"  {b}: {fmt(ss[b + '_prefetches'])} half-buffer prefetches of {fmt(ss[b + '_prefetch_elems'])} B "
                  f"after an initial {fmt(ss[b + '_initial_elems'])} B; {fmt(ss[b + '_miss_runs'])} misses, "
                  f"{fmt(ss[b + '_skip_prefetches'])} prefetches skipped whole half-buffers "
                  f"({fmt(ss[b + '_skip_prefetches'] * ss[b + '_prefetch_elems'])} B)")
        print()
    if fails:
        print(f"{fails} parity case(s) disagree")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
