"""Benchmark records: ``python -m lib bench`` measures run-steps per second of the batched SGD engine and of
a plain one-run-one-step numpy loop, in the same process, at the paper's configuration (D = 500, N = 1000,
K = M = 2, f = sgn, g = erf, float32), the input-GEMM floor, the ODE integration time against the C++
reference, how the engine's rate grows with N and with the number of runs and where one block's time goes;
on CUDA too when present. The timings are in :mod:`lib.bench.engine`, :mod:`lib.bench.scaling` and
:mod:`lib.bench.ode`; this module gathers them into one record (a JSON-ready dict) and writes and reads them.

    python -m lib bench                 # full benchmark, printed (a few minutes on one core)
    python -m lib bench --save          # ... and written to results/bench/<machine>.json
    python -m lib bench --quick         # the 'tiny' preset (about 20 s, noisy)

Options: ``--threads 1 --runs 200 --steps 3000 --block 32 --no-ode --no-scaling --out FOLDER``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from pathlib import Path

import torch

from ..core import paths, validate
from ..core.machine import git_commit, machine_info
from ..core.sgd import BLOCK_DEFAULT
from .engine import PAPER, bench_cpu, bench_cuda
from .ode import REFERENCE_CPP_SECONDS, bench_ode
from .scaling import scaling_with_N, scaling_with_runs, time_breakdown

RESULTS = paths.ROOT / "results" / "bench"
SCHEMA = 1

# Sizes of a benchmark. "full" is the committed record (a few minutes on one core); "tiny" is a smoke
# measurement of about 20 s, noisy, for the book's own machine and the tests.
PRESETS = {
    "full": dict(runs=200, steps=3000, block=None, ref_steps=10_000, floor_seconds=2.0,
                 ode_t_max=100.0, ode_repeats=3,
                 N_values=[250, 500, 1000, 2000], N_runs=100, N_run_steps=150_000,
                 R_values=[1, 10, 50, 200, 800], R_run_steps=300_000, R_max_steps=20_000,
                 breakdown_runs=200, breakdown_blocks=20),
    "tiny": dict(runs=50, steps=256, block=None, ref_steps=1000, floor_seconds=0.3,
                 ode_t_max=5.0, ode_repeats=2,
                 N_values=[250, 500, 1000, 2000], N_runs=20, N_run_steps=8000,
                 R_values=[1, 10, 50, 200], R_run_steps=6400, R_max_steps=2000,
                 breakdown_runs=50, breakdown_blocks=3),
}


def slugify(text: str, limit: int = 60) -> str:
    """Lower-case letters, digits and single dashes only (safe as a file name on every system)."""
    s = re.sub(r"\((r|tm|c)\)", " ", text.lower())
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:limit].strip("-") or "unknown"






def device_slug(machine: dict) -> str:
    """Name of a machine's record: ``cuda-<gpu>`` with a GPU, else ``cpu-<cores>core-<cpu model, short>``."""
    if machine.get("gpu"):
        return "cuda-" + slugify(machine["gpu"])
    model = re.sub(r"\b(cpu|processor)\b|@.*$|\d+-core", " ", machine.get("cpu_model", "").lower(), flags=re.I)
    short = "-".join(slugify(model).split("-")[:4])
    return slugify(f"cpu-{machine.get('cores')}core-{short}")




def run_benchmark(mode: str = "full", *, threads: int | None = None, ode: bool = True, scaling: bool = True,
                  cuda: bool = True, verbose: bool = False, **overrides) -> dict:
    """Measure everything of one benchmark record on this machine and return it (a JSON-ready dict).

    mode       "full" or "tiny" (``PRESETS``); ``overrides`` replace preset entries (e.g. runs=100).
    threads    torch CPU threads for the measurement (default: torch's current setting).
    Record keys: schema, mode, slug, date, git_commit, git_dirty, machine, load_average (1, 5, 15 min,
    before and after), options, config (the paper's Model), cpu, cuda, ode, scaling_N, scaling_R, breakdown.
    """
    validate.choice("mode", mode, PRESETS)
    unknown = set(overrides) - set(PRESETS[mode])
    if unknown:
        raise validate.ParameterError(f"unknown benchmark option(s) {sorted(unknown)}; allowed: {sorted(PRESETS[mode])}")
    for name in ("runs", "steps", "block"):
        if overrides.get(name) is not None:
            overrides[name] = validate.integer(name, overrides[name], 1)
    opt = {**PRESETS[mode], **overrides}
    if threads is not None:
        torch.set_num_threads(validate.integer("threads", threads, 1))
    say = print if verbose else (lambda *a, **k: None)
    machine = machine_info()
    commit, dirty = git_commit()
    rec = dict(schema=SCHEMA, mode=mode, slug=device_slug(machine),
               date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               git_commit=commit, git_dirty=dirty, machine=machine, load_average=dict(start=list(os.getloadavg())),
               options=dict(opt, threads=torch.get_num_threads(), ode=ode, scaling=scaling, cuda=cuda),
               config=PAPER.asdict(), cuda=None, ode=None, scaling_N=None, scaling_R=None, breakdown=None)
    say(f"{rec['slug']}: {machine['cpu_model']}, {machine['cores']} cores, torch {machine['torch']} with "
        f"{machine['torch_threads']} threads, load average {os.getloadavg()[0]:.2f}")
    ref, eng, floor = bench_cpu(opt["runs"], opt["steps"], opt["block"], opt["ref_steps"], opt["floor_seconds"])
    rec["cpu"] = dict(numpy_loop_run_steps_per_s=ref["run_steps_per_s"], engine_run_steps_per_s=eng["run_steps_per_s"],
                      ratio=eng["ratio"], gemm_floor_run_steps_per_s=floor["run_steps_per_s"],
                      engine_runs=opt["runs"], engine_steps=opt["steps"], numpy_loop_steps=opt["ref_steps"],
                      block=opt["block"] or BLOCK_DEFAULT["cpu"])
    say(f"  CPU: engine {eng['run_steps_per_s']:,.0f}, numpy loop {ref['run_steps_per_s']:,.0f} run-steps/s "
        f"(ratio {eng['ratio']:.1f}x), GEMM floor {floor['run_steps_per_s']:,.0f}")
    if cuda and torch.cuda.is_available():
        c_eng, c_floor = bench_cuda(steps=4096 if mode == "full" else 512)
        rec["cuda"] = dict(device_name=c_eng["device_name"], engine_run_steps_per_s=c_eng["run_steps_per_s"],
                           gemm_floor_run_steps_per_s=c_floor["run_steps_per_s"])
    if ode:
        rec["ode"] = bench_ode(t_max=opt["ode_t_max"], repeats=opt["ode_repeats"], verbose=verbose)
    if scaling:
        rec["scaling_N"] = scaling_with_N(opt["N_values"], runs=opt["N_runs"], run_steps=opt["N_run_steps"],
                                          floor_seconds=min(0.5, opt["floor_seconds"]))
        say("  vs N: " + ", ".join(f"N={r['N']} {r['run_steps_per_s']:,.0f}" for r in rec["scaling_N"]))
        rec["scaling_R"] = scaling_with_runs(opt["R_values"], run_steps=opt["R_run_steps"],
                                             max_steps=opt["R_max_steps"])
        say("  vs R: " + ", ".join(f"R={r['runs']} {r['run_steps_per_s']:,.0f}" for r in rec["scaling_R"]))
        rec["breakdown"] = time_breakdown(runs=opt["breakdown_runs"], blocks=opt["breakdown_blocks"])
        say("  one block (ms): " + ", ".join(f"{k} {1e3 * s:.2f}" for k, s in rec["breakdown"]["seconds_per_block"].items()))
    rec["load_average"]["end"] = list(os.getloadavg())
    return rec


def save_record(record: dict, folder: Path | str | None = None) -> Path:
    """Write ``record`` to ``<folder>/<slug>.json`` (default results/bench/), replacing that machine's record."""
    folder = Path(folder) if folder is not None else RESULTS
    slug = record.get("slug", "")
    if slug != slugify(slug):
        raise validate.ParameterError(f"record slug {slug!r} is not a safe file name")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.json"
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path


def load_records(folder: Path | str | None = None) -> list[dict]:
    """Every record in ``folder`` (default results/bench/), sorted by slug; a file that is not a record
    of this schema raises ValueError naming it."""
    folder = Path(folder) if folder is not None else RESULTS
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err})") from None
        if not isinstance(rec, dict) or rec.get("schema") != SCHEMA or "cpu" not in rec or "machine" not in rec:
            raise ValueError(f"{path}: not a benchmark record of schema {SCHEMA}")
        out.append(rec)
    return sorted(out, key=lambda r: r["slug"])


def headline(record: dict) -> dict:
    """The figures of a record's summary table: engine, numpy loop, their ratio, GEMM floor (run-steps/s),
    the engine's share of the floor, ODE erf and ReLU times scaled to t = 100 and the erf ratio to the
    C++ reference (None where the record has no ODE), machine and date."""
    cpu, ode, m = record["cpu"], record.get("ode") or {}, record["machine"]
    t100 = ode.get("erf_cpu_t100", ode.get("erf_cpu"))
    return dict(slug=record["slug"], mode=record.get("mode", "full"), date=record["date"][:10],
                cpu_model=m["cpu_model"], cores=m["cores"], threads=m["torch_threads"], gpu=m.get("gpu"),
                load=record.get("load_average", {}).get("start", [None])[0],
                engine=cpu["engine_run_steps_per_s"], numpy_loop=cpu["numpy_loop_run_steps_per_s"],
                ratio=cpu["ratio"], floor=cpu["gemm_floor_run_steps_per_s"],
                floor_share=cpu["engine_run_steps_per_s"] / cpu["gemm_floor_run_steps_per_s"],
                ode_erf_t100=t100, ode_relu_t100=ode.get("relu_cpu_t100", ode.get("relu_cpu")),
                ode_ratio_cpp=None if t100 is None else t100 / REFERENCE_CPP_SECONDS,
                cuda_engine=(record.get("cuda") or {}).get("engine_run_steps_per_s"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="runs of the headline engine figure")
    parser.add_argument("--steps", type=int, default=None, help="steps per run of the headline engine figure")
    parser.add_argument("--block", type=int, default=None, help="steps per block of the headline engine figure")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--quick", action="store_true", help="the 'tiny' preset: about 20 s, noisy")
    parser.add_argument("--no-ode", action="store_true", help="skip the ODE benchmark")
    parser.add_argument("--no-scaling", action="store_true", help="skip the N, R scaling and the breakdown")
    parser.add_argument("--save", action="store_true", help="write the record to results/bench/<machine>.json")
    parser.add_argument("--out", default=None, help="folder of the record (default results/bench)")
    args = parser.parse_args(argv)
    for name in ("runs", "steps", "block", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"error: --{name} must be >= 1, got {value}", file=sys.stderr)
            return 2
    over = {k: v for k, v in (("runs", args.runs), ("steps", args.steps), ("block", args.block)) if v is not None}
    try:
        rec = run_benchmark("tiny" if args.quick else "full", threads=args.threads, ode=not args.no_ode,
                            scaling=not args.no_scaling, verbose=True, **over)
    except validate.ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.save:
        print(f"record written to {save_record(rec, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
