"""The sweep benchmark: wall time of a small Section IV sweep (4 engine batches, N = 500, D = 250, 12 runs of
5,000 steps each) in this process and on Dask local clusters of 1 and 2 worker processes, side by side.

    .venv/bin/python scripts/bench_sweep.py                  # written to results/bench/sweep/<machine>.json
    .venv/bin/python scripts/bench_sweep.py --batches 8 --workers 1 2 4 --repeats 3 --no-save

The record's fields are listed in :func:`lib.pipeline.dask_sweep.sweep_benchmark`.
"""
from __future__ import annotations

import argparse
import sys

from lib.pipeline import dask_sweep


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench_sweep.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=4, help="engine batches in the sweep (default 4)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="sizes of the local clusters timed (default 1 2)")
    parser.add_argument("--repeats", type=int, default=2, help="times each configuration is timed (default 2)")
    parser.add_argument("--no-save", action="store_true", help="print the record's table only")
    args = parser.parse_args(argv)
    record = dask_sweep.sweep_benchmark(args.batches, tuple(args.workers), args.repeats)
    for row in record["rows"]:
        print(f"{row['scheduler']:<26} torch threads {row['torch_threads']}: sweep {row['wall_s']:6.2f} s "
              f"(cluster start {row['start_s']:5.2f} s)")
    print(f"speed-up: {record['speedup']}; load average {record['load_average']}")
    if not args.no_save:
        print(f"written to {dask_sweep.write_benchmark(record)}")
    return 0


if __name__ == "__main__":                 # the guard Dask's worker processes need (they import this file)
    sys.exit(main())
