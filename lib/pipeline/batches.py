"""The engine batches behind a chapter's expensive results, as independent cached calls.

A chapter listed in :data:`BATCHES` has its results made of engine batches (``guarded_batch`` calls) that can be
computed anywhere, in any order, before the chapter runs: ``lib paper`` computes them for the paper profile,
``lib run --scheduler`` for a rerun with any parameters, on one machine or on a Dask cluster
(:mod:`lib.pipeline.dask_sweep`), stashing each as it finishes. The keys are those the chapter's own calls make
(tested), so the chapter then finds every batch in the cache.
"""
from __future__ import annotations

from . import dask_sweep, stash


def _section4_grids(p: dict):
    """(setup, grid) of each activation of the Section IV chapter with parameters ``p``, as the chapter
    makes them (grid: :func:`lib.studies.mixture_dynamics.chapter_grid`)."""
    from ..studies.mixture_dynamics import Setup, chapter_grid

    for g in p["activations"]:
        setup = Setup(g=g, f=p["f"], N=p["N"], D=p["D"], K=p["K"], M=p["M"], lr=p["lr"], runs=p["runs"],
                      t_max=p["t_max"], seed=p["seed"])
        yield setup, chapter_grid(g, p["activations"], p["ms"], p["alphas"], p["appendix_ms"], p["appendix_alphas"])


def _section4_batches(p: dict) -> list[tuple[str, tuple]]:
    """The engine batches behind the chapter's sweeps: (``guarded_batch/<digest>``, comparisons) for each
    activation, sweep and mixture index, keyed as :func:`lib.studies.mixture_dynamics.sweep` calls them (tested)."""
    from ..core.cache import key_of
    from ..studies.universality import guarded_batch

    out = []
    for setup, (ms, alphas, *_) in _section4_grids(p):
        sweeps = [(st, "coordinate", ms, alphas) for st in p["standardize"]]
        if True in p["standardize"]:
            sweeps.append((True, "shared", [ms[0]], [0] + sorted(p["shared_alphas"])))
        for st, variant, s_ms, s_alphas in sweeps:
            for x in range(p["n_mixtures"]):
                cs = tuple(dict.fromkeys(setup.comparison(a, m, st, variant, x) for m in s_ms for a in s_alphas))
                out.append((f"guarded_batch/{key_of(guarded_batch.cache_name, {'cs': cs}, guarded_batch.version)[0]}", cs))
    return out


def _small_spreads_batches(p: dict) -> list[tuple[str, tuple]]:
    """The engine batches of the small-spreads chapter: its raw sweep of each activation, one per mixture index."""
    from ..core.cache import key_of
    from ..studies.small_spreads import SmallSpreads
    from ..studies.universality import guarded_batch

    chapter = SmallSpreads.of(p)
    out = []
    for g in chapter.activations:
        setup = chapter.setup(g)
        for x in range(chapter.n_mixtures):
            cs = tuple(dict.fromkeys(setup.comparison(a, m, False, "coordinate", x) for m in chapter.ms
                                     for a in chapter.alphas))
            out.append((f"guarded_batch/{key_of(guarded_batch.cache_name, {'cs': cs}, guarded_batch.version)[0]}", cs))
    return out


# chapters computed as independent engine batches
BATCHES = {"04_mixture_dynamics": _section4_batches, "04b_small_spreads": _small_spreads_batches}


def pieces(stem: str, params: dict) -> list[str]:
    """Cache entries the chapter's bundled results are built from (counted in its compute time)."""
    return [key for key, _ in BATCHES[stem](params)] if stem in BATCHES else []


def batch_tasks(stem: str, params: dict) -> list:
    """The chapter's engine batches (``BATCHES``) as sweep tasks (:class:`lib.pipeline.dask_sweep.Task`)."""
    from ..studies.universality import guarded_batch

    return [dask_sweep.Task(key, guarded_batch, (cs,)) for key, cs in BATCHES.get(stem, lambda p: [])(params)]


def compute_batches(stem: str, params: dict, workers: int | None = None, scheduler: str | None = None) -> int:
    """Compute the chapter's engine batches missing from the cache on ``scheduler``
    (:func:`lib.pipeline.dask_sweep.scheduler_spec`: ``local:1``, the default, in this process; ``local:N``, a
    Dask cluster of N processes on this machine; ``tcp://host:port``, a running Dask scheduler; ``workers`` N is
    ``local:N``), stashing each as it finishes. Returns the number computed; :class:`SweepFailed` after the
    sweep if any failed (the others are kept). On a CPU, separate processes use the cores better than one
    process's threads (2-core Xeon: 1.3x the run-steps per second of one 2-thread process); use 1 per GPU."""
    spec = dask_sweep.scheduler_spec(scheduler, workers)
    report = dask_sweep.sweep(batch_tasks(stem, params), spec, on_done=lambda entry: stash.save(),
                              desc=f"{stem}: engine batches")
    if report.computed or report.failures:
        print(f"{stem}: engine batches: {report.summary()}", flush=True)
    if report.failures:
        raise dask_sweep.SweepFailed(report)
    return len(report.computed)
