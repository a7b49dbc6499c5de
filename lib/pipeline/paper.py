"""Regenerate every chapter under the paper profile and keep its results as a bundle.

    python -m lib paper                      # every chapter with a paper profile, in book order
    python -m lib paper 04_mixture_dynamics  # one chapter
    python -m lib paper --force              # also chapters whose bundle is current
    python -m lib paper --results-only 04_mixture_dynamics   # its expensive results only, into the stash
    python -m lib paper --results-only --profile quick 02b_ode   # a small trial of the same path
    python -m lib paper --scheduler local:2 04_mixture_dynamics   # its engine batches on 2 local processes
    python -m lib paper --scheduler tcp://host:8786 04_mixture_dynamics   # ... on the workers of a Dask scheduler
    python -m lib paper --allow-dirty 02_hidden_manifold     # bundle although the code has uncommitted changes

Chapters run in the book's order. A chapter whose bundle is current (``lib.pipeline.bundle.status``) is skipped. Before
the others run, the committed stash of expensive results (``lib.pipeline.stash``) is restored into the cache. Each chapter
executes through papermill with its output printed as it comes: a bar over its cells, and the library's own
bars inside (refreshed at most every ``PROGRESS_SECONDS``, or ``TQDM_MININTERVAL`` if set). Every finished
result goes to the cache at once, so an interrupted run resumes where it stopped when started again. After
each chapter its bundle and provenance (wall time and machine included) are written to
``results/paper/<chapter>/`` and the wall time is printed.

A bundle's provenance names the commit of the code that made it, so a chapter is bundled only from a working
tree without uncommitted changes to tracked files (outside ``results/``); ``--allow-dirty`` bundles anyway,
records it, and the chapter's page says so.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from . import bundle, chapters, dask_sweep, stash
from ..core import cache
from .profiles import PROFILES, profile_parameters
from .run import execute
from ..core.validate import ParameterError
from .dask_sweep import SweepFailed
from .batches import BATCHES, _section4_grids, batch_tasks, compute_batches, pieces  # noqa: F401  (interface)


PROGRESS_SECONDS = 30    # the chapter's output (its progress bars included) is printed, a bar at most this often


def chapter_parameters(stem: str, profile: str = "paper") -> dict:
    """The parameters chapter ``stem`` runs with under ``profile``: its defaults, updated by the profile."""
    return {**chapters.parameter_defaults(stem), **profile_parameters(profile, stem)}


def paper_chapters() -> list[str]:
    """Stems of the chapters that the paper profile changes, in book order."""
    return [s for s in chapters.notebook_stems() if s in PROFILES["paper"]]


class DirtyTree(ParameterError):
    """The code has uncommitted changes and the caller did not allow bundling from it."""


def check_clean(allow_dirty: bool = False) -> None:
    """Refuse (:class:`DirtyTree`) to bundle from a working tree with uncommitted changes to tracked files
    outside ``results/``, unless ``allow_dirty``."""
    changed = bundle.code_changes()
    if changed and not allow_dirty:
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise DirtyTree(f"the working tree has uncommitted changes to tracked files "
                        f"({', '.join(changed[:5])}{more}), so a bundle's commit would not identify its code; "
                        "commit them, or pass --allow-dirty (the chapter's page then says so)")


def regenerate(stems: list[str] | None = None, force: bool = False, max_bytes: int = bundle.MAX_BYTES,
               workers: int | None = None, allow_dirty: bool = False, scheduler: str | None = None) -> dict:
    """Run ``stems`` (default: all) under the paper profile and bundle them; {stem: wall seconds or "current"}.
    A chapter made of engine batches (``BATCHES``) first computes the missing ones on ``scheduler`` (or
    ``workers`` local processes), stashing each as it finishes (:func:`compute_batches`). Before the first
    chapter that is not current runs, a working tree with uncommitted changes is refused unless ``allow_dirty``
    (:func:`check_clean`)."""
    todo = stems or paper_chapters()
    unknown = [s for s in todo if s not in PROFILES["paper"]]
    if unknown:
        raise ParameterError(f"no paper profile for {', '.join(unknown)}; chapters with one: "
                             f"{', '.join(paper_chapters())}")
    times: dict[str, float | str] = {}
    checked = False
    restored = stash.restore()
    if restored:
        print(f"stash: {len(restored)} stashed result(s) restored into the cache", flush=True)
    for i, stem in enumerate(todo, 1):
        current, reason, _ = bundle.status(stem)
        if current and not force:
            print(f"[{i}/{len(todo)}] {stem}: bundle is current, skipped", flush=True)
            times[stem] = "current"
            continue
        if not checked:
            check_clean(allow_dirty)
            checked = True
        print(f"[{i}/{len(todo)}] {stem}: running the paper profile ({reason or 'forced'})", flush=True)
        params = chapter_parameters(stem)
        with tempfile.TemporaryDirectory() as tmp:
            trace = Path(tmp) / "trace.txt"
            start = time.perf_counter()
            tqdm_interval = os.environ.get("TQDM_MININTERVAL")
            os.environ.setdefault("TQDM_MININTERVAL", str(PROGRESS_SECONDS))
            try:
                compute_batches(stem, params, workers, scheduler)
                os.environ["HMM_CACHE_TRACE"] = str(trace)
                execute(stem, "paper", {"results_from": "compute"}, log_output=True)
            finally:
                os.environ.pop("HMM_CACHE_TRACE", None)
                if tqdm_interval is None:
                    os.environ.pop("TQDM_MININTERVAL", None)
            wall = time.perf_counter() - start
            path = bundle.write(stem, trace, wall, max_bytes=max_bytes, pieces=pieces(stem, params))
        print(f"[{i}/{len(todo)}] {stem}: {wall / 60:.1f} min, bundle {path.parent}", flush=True)
        times[stem] = round(wall, 1)
    return times


def _section4_results(p: dict) -> None:
    """The expensive part of the Section IV chapter: its sweeps, made as the chapter makes them."""
    from ..studies.mixture_dynamics import chapter_sweeps

    for setup, grid in _section4_grids(p):
        chapter_sweeps(setup, *grid[:2], p["n_mixtures"], p["standardize"], p["shared_alphas"])


# Chapters whose expensive part runs without papermill: the function that makes the chapter's cached calls from
# its parameter dict (a "module:function" name is imported only when used). Every chapter with a paper profile has
# one (tests/test_results_only.py); ``make gpu-check`` runs them in this order.
RESULTS_ONLY = {"02b_ode": "lib.studies.ode_vs_sgd:chapter_results", "04_mixture_dynamics": _section4_results,
                "04b_small_spreads": "lib.studies.small_spreads:chapter_results",
                "08_forensics": "lib.studies.forensics:chapter_results", "09_beyond": "lib.studies.beyond:chapter_results",
                "07_pseudo_real": "lib.studies.pseudo_real:chapter_results",
                "02_hidden_manifold": "lib.studies.hidden_manifold:chapter_results",
                "03_gaussian_mixtures": "lib.studies.gaussian_mixtures:chapter_results",
                "06_universality": "lib.studies.universality_summary:chapter_results"}


def results_only(stem: str, profile: str = "paper", min_seconds: float = stash.MIN_SECONDS,
                 workers: int | None = None, scheduler: str | None = None) -> list:
    """Compute the expensive results of chapter ``stem`` under ``profile`` without executing the notebook (no
    figures, no bundle), from the stash and into it; returns the entries newly stashed. For a machine that has
    the library's needs (torch, numpy, scipy, tqdm) but not the notebook tools, such as a bare GPU machine;
    ``lib.pipeline.paper`` then makes the bundle anywhere, from the stash, computing only what is cheap."""
    if stem not in RESULTS_ONLY:
        raise ParameterError(f"--results-only is available for {', '.join(RESULTS_ONLY)}, not {stem}")
    restored = stash.restore()
    print(f"stash: {len(restored)} stashed result(s) restored into the cache", flush=True)
    params = chapter_parameters(stem, profile)
    compute_batches(stem, params, workers, scheduler)
    compute = RESULTS_ONLY[stem]
    if isinstance(compute, str):
        import importlib

        module, name = compute.split(":")
        compute = getattr(importlib.import_module(module), name)
    start = time.perf_counter()
    compute(params)
    print(f"{stem}: results of the {profile} profile in {time.perf_counter() - start:.1f} s", flush=True)
    return stash.save(min_seconds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib paper", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help=f"chapter stems (default: {', '.join(paper_chapters())})")
    parser.add_argument("--force", action="store_true", help="also rerun chapters whose bundle is current")
    parser.add_argument("--allow-dirty", action="store_true",
                        help="bundle although tracked files have uncommitted changes (recorded, and said on the page)")
    parser.add_argument("--results-only", action="store_true",
                        help=f"compute and stash the expensive results without the notebook ({', '.join(RESULTS_ONLY)})")
    parser.add_argument("--scheduler", default=None,
                        help="where engine batches are computed: local:N (N processes on this machine, a Dask "
                             "LocalCluster; CPU: the number of cores, GPU: 1), or the address of a running Dask "
                             f"scheduler (tcp://host:8786); default ${dask_sweep.ENV} or {dask_sweep.DEFAULT} (in this "
                             "process, without Dask)")
    parser.add_argument("--workers", type=int, default=None, help="N: the same as --scheduler local:N")
    parser.add_argument("--profile", default="paper", choices=sorted(PROFILES),
                        help="with --results-only: the profile whose results are computed (default paper; quick "
                             "is a small trial run)")
    args = parser.parse_args(argv)
    cache.one_line_warnings()
    try:
        scheduler = dask_sweep.scheduler_spec(args.scheduler, args.workers)
        if args.results_only:
            for stem in args.chapters or list(RESULTS_ONLY):
                added = results_only(stem, args.profile, scheduler=scheduler)
                print(f"{stem}: {len(added)} result(s) stashed in {stash.stash_dir()}")
            return 0
        times = regenerate(args.chapters or None, args.force, allow_dirty=args.allow_dirty, scheduler=scheduler)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SweepFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    ran = [t for t in times.values() if t != "current"]
    print(f"paper profile: {len(ran)} chapter(s) run in {sum(ran) / 60:.1f} min, "
          f"{len(times) - len(ran)} current bundle(s) kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
