#!/usr/bin/env python3
"""Run SCALE-Sim v2 through its Python API, choosing what its command line
(`python3 -m scalesim.scale`, which hard-codes save_disk_space=True,
verbose=True) does not let one choose:

    run_api.py SCALESIM_DIR CONFIG TOPOLOGY LOGDIR [--traces] [--verbose]

--traces: save_disk_space=False, the API's default: the per-layer SRAM and
DRAM trace CSVs (layer<N>/{IFMAP,FILTER,OFMAP}_{SRAM,DRAM}_TRACE.csv) are
written next to the three report CSVs. Without it only the reports are.
"""
import sys


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    ssdir, config, topology, logdir = argv[:4]
    flags = set(argv[4:])
    unknown = flags - {"--traces", "--verbose"}
    if unknown:
        sys.stderr.write(f"run_api.py: unknown option(s) {sorted(unknown)}\n")
        return 2
    sys.path.insert(0, ssdir)
    from scalesim.scale_sim import scalesim
    s = scalesim(save_disk_space="--traces" not in flags, verbose="--verbose" in flags,
                 config=config, topology=topology, input_type_gemm=False)
    s.run_scale(top_path=logdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
