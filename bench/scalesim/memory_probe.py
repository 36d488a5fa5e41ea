#!/usr/bin/env python3
"""Run SCALE-Sim v2 on one layer through its Python API (no trace CSVs, as its
command line does) and print, as one JSON object, its report figures plus
counters that explain its memory model (bench/scalesim/memory_comparison.md):

    memory_probe.py SCALESIM_DIR CONFIG TOPOLOGY LOGDIR [--pad T,B,L,R] [--no-dram-trace]

Report figures (COMPUTE_REPORT / DETAILED_ACCESS_REPORT): total_cycles,
stall_cycles, the DRAM start/stop cycles and read/write counts per buffer.

Counters, observed without changing SCALE-Sim's behaviour (its read_buffer
methods are wrapped, not replaced):
  <buf>_fetch_slots      valid (non -1) entries of the buffer's prefetch matrix:
                         what one pass over it fetches (ifmap: the im2col matrix)
  <buf>_fetch_unique     distinct addresses among them
  ifmap_padding_slots    prefetch-matrix entries that address the zero border of
                         the padded input (--pad: the layer's padding; SCALE-Sim
                         has none, its IFMAP is the padded input)
  ifmap_padding_unique   distinct such addresses
  <buf>_prefetches       new_prefetch() calls (each fetches a whole prefetch half)
  <buf>_miss_runs        misses (an address not in the active half)
  <buf>_skip_prefetches  prefetches beyond the first of a miss: the active
                         window stepped over whole half-buffers (or round the
                         whole circular prefetch matrix) to find the address
  <buf>_prefetch_elems   elements one new_prefetch() fetches

--no-dram-trace: read_buffer.new_prefetch() without its line that appends the
prefetch to the buffer's DRAM trace matrix (np.concatenate of the whole trace
on every prefetch: quadratic, hours when a layer refetches its filter a
hundred times). The trace feeds only the DRAM IFMAP/Filter *stop* cycles of
the report (then -1); every count and cycle is unchanged (checked: identical
JSON otherwise on conv2d_6).
"""
import json
import math
import sys


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    ssdir, config, topology, logdir = argv[:4]
    pad = (0, 0, 0, 0)
    no_trace = False
    rest = argv[4:]
    while rest:
        if rest[0] == "--pad" and len(rest) > 1:
            pad = tuple(int(x) for x in rest[1].split(","))
            rest = rest[2:]
        elif rest[0] == "--no-dram-trace":
            no_trace = True
            rest = rest[1:]
        else:
            sys.stderr.write(f"memory_probe.py: unknown argument {rest[0]}\n")
            return 2
    sys.path.insert(0, ssdir)
    import numpy as np
    from scalesim.memory import read_buffer as rb_mod
    if no_trace:
        src = open(rb_mod.__file__).read()
        line = ("        self.trace_matrix = np.concatenate((self.trace_matrix, this_prefetch_trace), axis=0)\n")
        if src.count(line) != 1:
            sys.stderr.write("memory_probe.py: --no-dram-trace does not recognise this read_buffer.py\n")
            return 2
        exec(compile(src.replace(line, "        pass\n"), rb_mod.__file__, "exec"), rb_mod.__dict__)
    from scalesim.scale_sim import scalesim

    rb = rb_mod.read_buffer
    orig_hit, orig_prefetch, orig_set = rb.active_buffer_hit, rb.new_prefetch, rb.set_fetch_matrix

    def hit(self, addr):
        r = orig_hit(self, addr)
        if r and getattr(self, "_run", 0):
            self._miss_runs = getattr(self, "_miss_runs", 0) + 1
            self._skips = getattr(self, "_skips", 0) + self._run - 1
            self._run = 0
        return r

    def prefetch(self):
        self._run = getattr(self, "_run", 0) + 1
        self._prefetches = getattr(self, "_prefetches", 0) + 1
        return orig_prefetch(self)

    def set_fetch(self, m):
        v = m[m != -1].astype(np.int64)
        self._fetch_slots = int(v.size)
        self._fetch_unique = int(np.unique(v).size)
        self._fetch_values = v
        return orig_set(self, m)

    rb.active_buffer_hit, rb.new_prefetch, rb.set_fetch_matrix = hit, prefetch, set_fetch

    s = scalesim(save_disk_space=True, verbose=False, config=config, topology=topology, input_type_gemm=False)
    s.run_scale(top_path=logdir)
    layer = s.runner.single_layer_sim_object_list[0]
    mem = layer.memory_system
    comp = layer.get_compute_report_items()
    det = layer.get_detail_report_items()
    out = {
        "total_cycles": int(comp[0]), "stall_cycles": int(comp[1]),
        "sram_ifmap_reads": int(det[2]), "sram_filter_reads": int(det[5]), "sram_ofmap_writes": int(det[8]),
        "dram_ifmap_start": float(det[9]), "dram_ifmap_stop": float(det[10]), "dram_ifmap_reads": int(det[11]),
        "dram_filter_start": float(det[12]), "dram_filter_stop": float(det[13]), "dram_filter_reads": int(det[14]),
        "dram_ofmap_start": float(det[15]), "dram_ofmap_stop": float(det[16]), "dram_ofmap_writes": int(det[17]),
    }
    for name, buf in (("ifmap", mem.ifmap_buf), ("filter", mem.filter_buf)):
        if getattr(buf, "_run", 0):  # a miss still open at the end (cannot happen: every miss ends in a hit)
            buf._skips = getattr(buf, "_skips", 0) + buf._run - 1
        out[f"{name}_fetch_slots"] = getattr(buf, "_fetch_slots", 0)
        out[f"{name}_fetch_unique"] = getattr(buf, "_fetch_unique", 0)
        out[f"{name}_prefetches"] = getattr(buf, "_prefetches", 0)
        out[f"{name}_miss_runs"] = getattr(buf, "_miss_runs", 0)
        out[f"{name}_skip_prefetches"] = getattr(buf, "_skips", 0)
        out[f"{name}_prefetch_elems"] = int(math.ceil(buf.prefetch_buf_size / buf.req_gen_bandwidth)) * buf.req_gen_bandwidth
        out[f"{name}_initial_elems"] = min(int(math.ceil(buf.active_buf_size / buf.req_gen_bandwidth)),
                                           buf.fetch_matrix.shape[0]) * buf.req_gen_bandwidth
    # Padding: SCALE-Sim's ifmap address = offset + (row * W + col) * C + ch over the padded input.
    topo = s.topo
    H, W = topo.get_layer_ifmap_dims(0)
    C = topo.get_layer_num_channels(0)
    off = s.config.get_offsets()[0]
    pt, pb, pl, pr = pad
    v = getattr(mem.ifmap_buf, "_fetch_values", None)
    if v is not None:
        pix = (v - off) // C
        row, col = pix // W, pix % W
        border = (row < pt) | (row >= H - pb) | (col < pl) | (col >= W - pr)
        out["ifmap_padding_slots"] = int(border.sum())
        out["ifmap_padding_unique"] = int(np.unique(v[border]).size)
    out["ifmap_padded_bytes"] = int(H * W * C)
    out["ifmap_unpadded_bytes"] = int((H - pt - pb) * (W - pl - pr) * C)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
