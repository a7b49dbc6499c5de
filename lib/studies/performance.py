"""The performance appendix (notebooks/98_performance.py): the benchmark records of :mod:`lib.bench`, an
optional measurement of the machine that builds the book, their tables and figures, and the table of the
paper profile's compute time.

That last table reads the paper bundles and the stash, which belong to ``lib.pipeline``, a layer above this
one: the chapter gathers their status and times and passes them to :func:`paper_profile_table`.
The figures import matplotlib only when drawn.
"""
from __future__ import annotations

from pathlib import Path

import math
from dataclasses import dataclass

from .. import bench
from ..bench.scaling import PHASES, log_slope
from ..core import validate

MEASURES = ("none", "tiny", "full")      # what the page measures besides showing the stored records


@dataclass
class Shown:
    """The records the page shows: ``records`` (stored, each with a ``label``), ``here`` (a measurement
    of this machine, or None), ``shown`` (both, stored first), ``main`` (the record the prose describes:
    the first full stored record, else the first shown) and ``rows`` (:func:`lib.bench.headline` of each
    shown record)."""

    records: list
    here: dict | None
    shown: list
    main: dict
    rows: list

    def summary(self) -> str:
        return (f"{len(self.records)} stored record(s); "
                + ("no measurement made here" if self.here is None else f"measured here: {self.here['label']}"))


def gather(measure: str, threads: int, folder=None) -> Shown:
    """Load the stored records (``folder``, default results/bench/) and, unless ``measure`` is "none",
    measure this machine with ``threads`` torch threads (:func:`lib.bench.run_benchmark`)."""
    validate.choice("measure", measure, MEASURES)
    validate.integer("threads", threads, 1)
    records = bench.load_records(folder)
    for rec in records:
        rec["label"] = f"{rec['slug']} ({rec['mode']}, {rec['date'][:10]})"
    here = None
    if measure != "none":
        here = bench.run_benchmark(measure, threads=threads)
        here["label"] = f"this build: {here['slug']} ({measure} measurement)"
    shown = records + ([here] if here is not None else [])
    if not shown:
        raise RuntimeError("no benchmark record in results/bench/ and measure is 'none': nothing to show; "
                           "run python -m lib bench --save, or set measure to 'tiny'")
    main = next((r for r in records if r["mode"] == "full"), shown[0])
    return Shown(records=records, here=here, shown=shown, main=main, rows=[bench.headline(r) for r in shown])


def fmt(x, spec: str) -> str:
    """``format(x, spec)``, or "n/a" for None."""
    return "n/a" if x is None else format(x, spec)


def records_table(shown: list, rows: list) -> str:
    """Markdown table, one line per record: machine, engine, loop, their ratio, GEMM floor, the engine's
    share of it, ODE times and the CUDA engine."""
    lines = ["| record | CPU, cores, threads | engine | loop | ratio | GEMM floor | engine / floor "
             "| ODE erf (s) | / C++ | ODE ReLU (s) | load | CUDA engine |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r, h in zip(shown, rows):
        lines.append(f"| {r['label']} | {h['cpu_model']}, {h['cores']}, {h['threads']} | {h['engine']:,.0f} "
                     f"| {h['numpy_loop']:,.0f} | {h['ratio']:.1f}x | {h['floor']:,.0f} | {100 * h['floor_share']:.0f} % "
                     f"| {fmt(h['ode_erf_t100'], '.2f')} | {fmt(h['ode_ratio_cpp'], '.1f')}x "
                     f"| {fmt(h['ode_relu_t100'], '.1f')} | {fmt(h['load'], '.1f')} | {fmt(h['cuda_engine'], ',.0f')} |")
    return "\n".join(lines)


def records_by_quantity(shown: list, rows: list) -> str:
    """Markdown table of the same figures as :func:`records_table`, transposed so that it fits the book's
    column: one row per quantity, one column per record (records are few, quantities many)."""
    quantities = [
        ("CPU", lambda r, h: h["cpu_model"]),
        ("cores, torch threads", lambda r, h: f"{h['cores']}, {h['threads']}"),
        ("engine (run-steps/s)", lambda r, h: f"{h['engine']:,.0f}"),
        ("numpy loop (run-steps/s)", lambda r, h: f"{h['numpy_loop']:,.0f}"),
        ("engine / loop", lambda r, h: f"{h['ratio']:.1f}x"),
        ("GEMM floor (run-steps/s)", lambda r, h: f"{h['floor']:,.0f}"),
        ("engine / floor", lambda r, h: f"{100 * h['floor_share']:.0f} %"),
        ("ODE erf to t = 100 (s)", lambda r, h: fmt(h["ode_erf_t100"], ".2f")),
        ("ODE erf / C++ reference", lambda r, h: fmt(h["ode_ratio_cpp"], ".1f") + ("x" if h["ode_ratio_cpp"] is not None else "")),
        ("ODE ReLU to t = 100 (s)", lambda r, h: fmt(h["ode_relu_t100"], ".1f")),
        ("load average", lambda r, h: fmt(h["load"], ".1f")),
        ("CUDA engine (run-steps/s)", lambda r, h: fmt(h["cuda_engine"], ",.0f")),
    ]
    lines = ["| | " + " | ".join(r["label"] for r in shown) + " |", "|---|" + "---:|" * len(shown)]
    for name, value in quantities:
        lines.append(f"| {name} | " + " | ".join(value(r, h) for r, h in zip(shown, rows)) + " |")
    return "\n".join(lines)


def scaling_numbers(main: dict) -> tuple[float, float, str]:
    """(slope of the engine's rate against N between the two largest N, gain of the best batch over the
    fewest runs, largest number of runs as text) of a record; nan / "n/a" where it has no such scan."""
    slope_N = log_slope([p["N"] for p in main["scaling_N"]], [p["run_steps_per_s"] for p in main["scaling_N"]]) \
        if main.get("scaling_N") else math.nan
    gain_R = (max(p["run_steps_per_s"] for p in main["scaling_R"])
              / min(main["scaling_R"], key=lambda p: p["runs"])["run_steps_per_s"]) if main.get("scaling_R") else math.nan
    R_max = f"{max(p['runs'] for p in main['scaling_R'])}" if main.get("scaling_R") else "n/a"
    return slope_N, gain_R, R_max


@dataclass
class Breakdown:
    """A record's block breakdown: ``fraction`` of the time per phase (empty without a breakdown), its
    ``runs``, and ``parts_ms`` (the timed parts without drawing C) beside ``whole_ms`` (the engine's own
    step) per block, None without a breakdown."""

    fraction: dict
    runs: int | None
    parts_ms: float | None
    whole_ms: float | None


def breakdown(main: dict) -> Breakdown:
    """:class:`Breakdown` of a record."""
    b = main.get("breakdown")
    if not b:
        return Breakdown(fraction={}, runs=None, parts_ms=None, whole_ms=None)
    timed = sum(s for k, s in b["seconds_per_block"].items() if k != "sample C")
    return Breakdown(fraction=b["fraction"], runs=b["runs"], parts_ms=1e3 * timed, whole_ms=1e3 * b["step_s_per_block"])


def _finite_positive(x) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def record_problems(r: dict, h: dict) -> list[str]:
    """What is incomplete in record ``r`` with headline ``h``: a figure that is missing, not finite or not
    positive, a slug that is not its own slug, a machine without cores or threads, a breakdown without all
    the phases. Empty for a complete record."""
    problems = [key for key in ("engine", "numpy_loop", "ratio", "floor") if not _finite_positive(h[key])]
    if r["slug"] != bench.slugify(r["slug"]):
        problems.append(f"slug {r['slug']!r}")
    if not (r["machine"]["cores"] >= 1 and r["machine"]["torch_threads"] >= 1):
        problems.append("machine")
    if r.get("ode") and not (_finite_positive(h["ode_erf_t100"]) and _finite_positive(h["ode_ratio_cpp"])):
        problems.append("ode")
    for p in (r.get("scaling_N") or []) + (r.get("scaling_R") or []):
        if not _finite_positive(p["run_steps_per_s"]):
            problems.append(f"scaling point {p}")
    if r.get("breakdown"):
        if set(r["breakdown"]["seconds_per_block"]) != set(PHASES):
            problems.append("breakdown phases")
        elif not all(_finite_positive(s) for s in r["breakdown"]["seconds_per_block"].values()):
            problems.append("breakdown times")
    return problems


def bundled_entries(status: dict) -> set:
    """Cache entries (entries and pieces) named by the provenance of the chapters' bundles; ``status``:
    {stem: (current, reason, provenance or None)} as ``lib.pipeline.bundle.status`` gives."""
    out = set()
    for _, _, prov in status.values():
        if prov is not None:
            out |= set(prov["entries"]) | set(prov.get("pieces", {}))
    return out


def paper_profile_table(status: dict, spent: dict, stashed_s: float | None = None, stashed_count: int = 0) -> str:
    """Markdown table of the paper profile's compute, one row per chapter of ``status`` ({stem: (current,
    reason, provenance or None)}, book order) with ``spent[stem]``, the seconds its bundle's results took;
    a total; and, when ``stashed_count`` > 0, the ``stashed_s`` seconds of stashed pieces not yet in a bundle."""
    lines = ["| chapter | compute time | last driver run | machine | bundle |", "|---|---|---|---|---|"]
    total = 0.0
    for stem, (current, reason, prov) in status.items():
        if prov is None:
            lines.append(f"| {stem} | not run | | | |")
            continue
        total += spent[stem]
        lines.append(f"| {stem} | {spent[stem] / 60:.1f} min | {prov['wall_s'] / 60:.1f} min | {prov['device']} | "
                     f"{'current' if current else 'stale: ' + reason} |")
    lines.append(f"| **all run so far** | **{total / 60:.1f} min** | | | |")
    if stashed_count:
        hours = stashed_s / 3600                            # nested results counted once (lib.pipeline.stash)
        lines.append(f"| stashed pieces, not yet in a bundle (`results/stash/`) | {hours * 60:.1f} min | | "
                     f"{stashed_count} cached results | |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------
def scaling_figure(shown: list, main: dict):
    """Left: run-steps per second against N (solid) and the input-product floor (dotted), with N^-2 through
    the main record's largest N. Right: against the number of runs batched, with each record's GEMM floor
    (dotted) and one-run numpy loop (dashed)."""
    import matplotlib.pyplot as plt
    import numpy as np

    from . import style

    fig, (axN, axR) = plt.subplots(1, 2, figsize=(10, 4))
    handles = []
    for i, r in enumerate(shown):
        colour = style.PALETTE[i % len(style.PALETTE)]
        handles.append(plt.Line2D([], [], marker="o", color=colour, label=r["label"]))
        if r.get("scaling_N"):
            N = [p["N"] for p in r["scaling_N"]]
            axN.loglog(N, [p["run_steps_per_s"] for p in r["scaling_N"]], "o-", color=colour)
            axN.loglog(N, [p["floor_run_steps_per_s"] for p in r["scaling_N"]], ":", color=colour)
        if r.get("scaling_R"):
            R = [p["runs"] for p in r["scaling_R"]]
            axR.loglog(R, [p["run_steps_per_s"] for p in r["scaling_R"]], "o-", color=colour)
            axR.axhline(r["cpu"]["gemm_floor_run_steps_per_s"], ls=":", color=colour, lw=1.2)
            axR.axhline(r["cpu"]["numpy_loop_run_steps_per_s"], ls="--", color=colour, lw=1.2)
    if main.get("scaling_N"):
        top = max(main["scaling_N"], key=lambda p: p["N"])
        Ns = np.array([p["N"] for p in main["scaling_N"]], dtype=float)
        axN.loglog(Ns, top["run_steps_per_s"] * (Ns / top["N"]) ** -2.0, "-.", color="gray", lw=1)
    for ax, key, label in ((axN, "N", "$N$  ($D = N/2$)"), (axR, "runs", "runs $R$ batched together")):
        ticks = sorted({p[key] for r in shown for p in (r.get("scaling_" + key[0].upper()) or [])})
        ax.set_xticks(ticks, [str(x) for x in ticks])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("run-steps per second")
    handles += [plt.Line2D([], [], ls=":", color="k", lw=1.2, label="GEMM floor (input product only)"),
                plt.Line2D([], [], ls="--", color="k", lw=1.2, label="numpy loop, one run (right)"),
                plt.Line2D([], [], ls="-.", color="gray", lw=1, label="$\\propto N^{-2}$ (left)")]
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    return fig


def breakdown_figure(shown: list):
    """Stacked bars: microseconds per run-step of each phase of an engine block, one bar per record with a
    breakdown."""
    import matplotlib.pyplot as plt

    from . import style

    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.55 * len(shown)))
    with_breakdown = [r for r in shown if r.get("breakdown")]
    for i, r in enumerate(with_breakdown):
        b = r["breakdown"]
        per = {k: 1e6 * s / (b["runs"] * b["block"]) for k, s in b["seconds_per_block"].items()}
        left = 0.0
        for j, name in enumerate(PHASES):
            ax.barh(i, per[name], left=left, color=style.PALETTE[j], label=name if i == 0 else None)
            left += per[name]
    ax.set_yticks(range(len(with_breakdown)), [r["label"] for r in with_breakdown])
    ax.invert_yaxis()
    ax.set_xlabel("microseconds per run-step")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
    return fig


def sweep_records(folder=None) -> list[dict]:
    """The sweep benchmark records (``results/bench/sweep/*.json``, written by ``scripts/bench_sweep.py``)."""
    import json

    from ..core import paths

    folder = Path(folder) if folder is not None else paths.ROOT / "results" / "bench" / "sweep"
    return [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))]


def sweep_table(records: list[dict]) -> str:
    """Markdown: per record and scheduler, the best wall time of the sweep and the cluster's start time."""
    lines = ["| machine | sweep | scheduler | best wall time | start | speed-up, 2 against 1 worker |",
             "|---|---|---|---|---|---|"]
    for r in records:
        sw = r["sweep"]
        what = (f"{sw['batches']} batches, N = {sw['setup']['N']}, {sw['runs_per_batch']} runs x "
                f"{sw['steps_per_run']:,} steps")
        starts = {row["scheduler"]: row["start_s"] for row in r["rows"]}
        for scheduler, wall in r["best_wall_s"].items():
            lines.append(f"| {r['slug']} ({r['date'][:10]}) | {what} | {scheduler} | {wall:.2f} s | "
                         f"{starts.get(scheduler, 0.0):.1f} s | {r['speedup'].get('2_vs_1', float('nan')):.2f}x |")
    return "\n".join(lines)
