"""Sweeps of independent cached computations, on this process, a local Dask cluster or a cluster of machines.

A sweep is a list of :class:`Task`: one call of a cached function (:func:`lib.core.cache.cached`) whose cache entry
``<function>/<digest>`` is known before it runs, such as one engine batch of Section IV
(``lib.pipeline.paper.BATCHES``). :func:`sweep` computes the tasks whose entry the cache lacks, where the
scheduler says (:func:`scheduler_spec`):

- ``local:1`` (the default): one after the other in this process, into the cache; Dask is not needed;
- ``local:N``: a Dask ``LocalCluster`` of N worker processes on this machine, each with 1 thread for tasks and
  an equal share of the cores for torch;
- ``tcp://host:port``: a running Dask scheduler (its workers on any machines, started by hand or by
  ``dask-jobqueue``); the environment variable ``HMM_DASK_SCHEDULER`` sets the default.

No shared file system is needed. A worker computes a task by calling the cached function with its cache
(``HMM_CACHE_DIR``) in a temporary folder of its own (:func:`compute_entry`), reads back every file the call
wrote there (the task's entry and the entries of the cached calls inside it, whatever their format) and
returns them as bytes; the client writes them into its own cache (:func:`store_files`, each file by
:func:`lib.core.cache.atomic_write`, a record before its result) as each task finishes and then calls
``on_done`` (``lib.paper`` stashes), so an interrupted sweep resumes from what finished. A task runs with the
device its worker finds; the entry's record says which (``device``, ``host``), and :class:`SweepReport`
lists them.

Failures. A worker lost mid-task (killed, out of memory, its machine gone) is rescheduled by the Dask scheduler
on another worker; a task that loses ``distributed.scheduler.allowed-failures`` workers (default 3) is
reported as failed. A task that raises is reported with its entry, parameters and traceback and does not stop
the others (``retries``: times it is tried again first, default 0, since our computations are deterministic).

:func:`sweep_benchmark` times a small Section IV sweep in this process and on local clusters of 1 and 2
workers (``scripts/bench_sweep.py`` writes its record to ``results/bench/sweep/<machine>.json``, a folder of its
own: ``results/bench/*.json`` are the engine benchmark's records).
"""
from __future__ import annotations

import contextlib
import datetime
import inspect
import json
import os
import re
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..core import cache, paths, validate
from ..core.validate import ParameterError

ENV = "HMM_DASK_SCHEDULER"
DEFAULT = "local:1"
INSTALL = "pip install distributed (pinned in requirements.txt)"
_CACHE_ENV = ("HMM_CACHE_DIR", "HMM_NO_CACHE", "HMM_CACHE_TRACE")
_FILE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*/[A-Za-z0-9_][A-Za-z0-9_.-]*")   # <function>/<file>
_CONNECT_TIMEOUT = "30s"           # waiting for a scheduler at an address
_LOCK = threading.Lock()               # one task at a time per worker process (it changes the environment)


@dataclass(frozen=True)
class Task:
    """One cached call of a sweep: ``function(*args, **kwargs)`` makes the cache entry ``entry``
    (``"<function>/<digest>"``). ``function`` must be importable by the workers (a module-level cached function)."""

    entry: str
    function: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def describe(self, limit: int = 600) -> str:
        """The call with its parameters, for a failure report (cut at ``limit`` characters)."""
        params = ", ".join([*map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())])
        text = f"{getattr(self.function, '__name__', self.function)}({params})"
        return text if len(text) <= limit else text[:limit] + " ..."


@dataclass
class Failure:
    """A task that raised (or lost too many workers): its entry, its call with parameters, the error."""

    entry: str
    call: str
    error: str
    traceback: str = ""

    def __str__(self) -> str:
        return f"{self.entry}: {self.error}\n    call: {self.call}"


@dataclass
class SweepReport:
    """What a sweep did: entries computed (in the order they finished), the device each was computed on (from
    its record), the failures, its wall time and where it ran."""

    scheduler: str
    computed: list[str] = field(default_factory=list)
    devices: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    cached: int = 0                      # tasks whose entry was in the cache already
    wall_s: float = 0.0

    def summary(self) -> str:
        devices = sorted(set(self.devices.values()))
        text = (f"{len(self.computed)} computed ({', '.join(devices) or 'no device'}), {self.cached} already "
                f"cached, {len(self.failures)} failed, {self.wall_s:.1f} s on {self.scheduler}")
        return text + "".join(f"\n  FAILED {f}" for f in self.failures)


class SweepFailed(RuntimeError):
    """Some tasks of a sweep failed (the others were computed and kept); the message lists each with its call."""

    def __init__(self, report: SweepReport):
        self.report = report
        super().__init__(f"{len(report.failures)} of {len(report.failures) + len(report.computed)} task(s) "
                         "failed (the others are in the cache):\n" + "\n".join(f"  {f}" for f in report.failures))


# ------------------------------------------------------------------------------------------ scheduler
def scheduler_spec(scheduler: str | None = None, workers: int | None = None) -> str:
    """The scheduler a sweep uses, normalised: ``local:N`` or an address (``tcp://host:port``, any
    ``<protocol>://``). ``workers`` N is the same as ``local:N``; neither given: ``HMM_DASK_SCHEDULER``, else
    ``local:1``. A bad value raises :class:`ParameterError` saying what is accepted."""
    if workers is not None:
        workers = validate.integer("workers", workers, 1)
        if scheduler is not None:
            raise ParameterError("give --scheduler or --workers, not both (--workers N is --scheduler local:N)")
        return f"local:{workers}"
    spec = (scheduler if scheduler is not None else os.environ.get(ENV) or DEFAULT).strip()
    if "://" in spec:
        return spec
    kind, _, n = spec.partition(":")
    if kind == "local":
        try:
            count = int(n or 1)
        except ValueError:
            count = 0
        if count >= 1:
            return f"local:{count}"
    source = f"{ENV}={spec!r}" if scheduler is None else f"scheduler={spec!r}"
    raise ParameterError(f"{source} must be local:N (N >= 1 worker processes on this machine) or the address of "
                         "a running Dask scheduler, e.g. tcp://host:8786")


def in_process(spec: str) -> bool:
    """Whether ``spec`` (normalised) computes in this process, without Dask: ``local:1``."""
    return spec == "local:1"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ParameterError(f"a Dask scheduler (anything but local:1) needs Dask's `distributed`: {INSTALL}; "
                             "local:1 computes in this process without it") from None
    return distributed


@contextlib.contextmanager
def open_client(spec: str) -> Iterator[tuple[object, int | None]]:
    """(Dask client, torch threads per task or None) for ``spec`` (normalised, not in-process ``local:1`` unless a
    one-worker cluster is wanted): a ``LocalCluster`` of N processes, 1 task thread each, ``cores // N`` torch
    threads and no memory limit (a batch needs what it needs), closed on exit; or a client of the scheduler at
    the address (its workers keep their torch threads)."""
    distributed = _distributed()
    if spec.startswith("local:"):
        n = int(spec.split(":")[1])
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      memory_limit=None) as cluster, distributed.Client(cluster) as client:
            yield client, max(1, (os.cpu_count() or 1) // n)
    else:
        try:
            client = distributed.Client(spec, timeout=_CONNECT_TIMEOUT)
        except OSError as err:
            raise ParameterError(f"no Dask scheduler answers at {spec} ({err}); start one with `dask scheduler` "
                                 "and workers with `dask worker ADDRESS --nthreads 1`") from None
        with client:
            yield client, None


# ------------------------------------------------------------------------------------------ entries
def _entry_name(entry: str) -> tuple[str, str]:
    folder, _, digest = entry.partition("/")
    if not folder or not digest or "/" in digest:
        raise ParameterError(f"cache entry {entry!r} must be '<function>/<digest>'")
    return folder, digest


def _is_part(p: Path) -> bool:
    """A finished file of an entry (not a writer's temporary file nor a set-aside corrupt one)."""
    return p.is_file() and not p.name.endswith((cache.TMP_SUFFIX, ".corrupt"))


def is_cached(entry: str, root: Path | None = None) -> bool:
    """Whether the cache ``root`` holds entry ``entry``: its JSON record and a result file the cache reads
    (:func:`lib.core.cache.find_entry`; a file of an older format, which the cache recomputes, does not count)."""
    folder, digest = _entry_name(entry)
    base = Path(root or paths.cache_dir()) / folder
    return (base / f"{digest}.json").is_file() and cache.find_entry(base, digest) is not None


def _record(entry: str) -> dict:
    """The JSON record of cache entry ``entry`` ({} if it cannot be read)."""
    folder, digest = _entry_name(entry)
    try:
        return json.loads((paths.cache_dir() / folder / f"{digest}.json").read_text())
    except (OSError, ValueError):
        return {}


def compute_entry(entry: str, function: Callable, args: tuple = (), kwargs: dict | None = None,
                  threads: int | None = None) -> dict[str, bytes]:
    """Run on a worker: call ``function(*args, **kwargs)`` with the cache in a fresh temporary folder and return
    every file the call wrote there, ``{"<function>/<name>": bytes}`` (the entry ``entry`` and those of the
    cached calls inside it). ``threads``: torch CPU threads for the call. Raises if the call made no entry
    ``entry`` (it is not the entry of this call)."""
    with _LOCK, tempfile.TemporaryDirectory(prefix="hmm-sweep-") as tmp:
        saved = {k: os.environ.get(k) for k in _CACHE_ENV}
        os.environ.update(HMM_CACHE_DIR=tmp, HMM_NO_CACHE="0")
        os.environ.pop("HMM_CACHE_TRACE", None)
        try:
            if threads:
                import torch

                torch.set_num_threads(threads)
            function(*args, **(kwargs or {}))
        finally:
            _restore(saved)
        root = Path(tmp)
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.glob("*/*")) if _is_part(p)}
    if not _complete(files, entry):
        raise RuntimeError(f"the call made no cache entry {entry} (it made {sorted(files) or 'none'}): the task's "
                           "entry is not the key of its call")
    return files


def _restore(saved: dict) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _complete(files: dict[str, bytes], entry: str) -> bool:
    mine = [n for n in files if n.startswith(entry + ".")]
    return f"{entry}.json" in mine and len(mine) > 1


def store_files(files: dict[str, bytes], root: Path | None = None) -> None:
    """Write the files of :func:`compute_entry` into the cache ``root`` (default: the cache): per function
    folder, under its lock, every record (``.json``) before the results, each by :func:`cache.atomic_write`, so
    a result in the cache always has its complete record beside it. Entries the cache holds already (a cached
    call inside several tasks) are left as they are."""
    root = Path(root or paths.cache_dir())
    by_folder: dict[str, list[str]] = {}
    for name in files:
        if not _FILE_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a cache file name '<function>/<file>'")
        if not is_cached(name.split(".")[0], root):
            by_folder.setdefault(name.partition("/")[0], []).append(name)
    for folder, names in by_folder.items():
        target = root / folder
        target.mkdir(parents=True, exist_ok=True)
        with cache.folder_lock(target):
            for name in sorted(names, key=lambda n: (not n.endswith(".json"), n)):
                cache.atomic_write(root / name, files[name])


# ------------------------------------------------------------------------------------------ sweep
def _accepts_progress(function: Callable) -> bool:
    try:
        return "progress" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def sweep(tasks: list[Task], scheduler: str | None = None, *, on_done: Callable[[str], object] | None = None,
          desc: str = "sweep", retries: int = 0, client=None) -> SweepReport:
    """Compute the ``tasks`` whose entry the cache lacks, on ``scheduler`` (:func:`scheduler_spec`; default
    ``HMM_DASK_SCHEDULER`` or ``local:1``, in this process) or on a Dask ``client`` already open. Each finished
    entry enters the cache at once, then ``on_done(entry)`` runs. A task that fails is recorded in the report
    and the others go on; the caller decides what a failure means (``lib.paper`` raises :class:`SweepFailed`).
    With ``HMM_NO_CACHE=1`` nothing is computed (nothing could be kept)."""
    from tqdm.auto import tqdm

    if client is None:
        spec = scheduler_spec(scheduler)
    else:
        spec = getattr(getattr(client, "scheduler", None), "address", None) or "a Dask client"
    unique = list({t.entry: t for t in tasks}.values())
    todo = [t for t in unique if not is_cached(t.entry)]
    report = SweepReport(spec, cached=len(unique) - len(todo))
    if not todo or cache.no_cache():
        return report
    start = time.perf_counter()
    bar = tqdm(total=len(todo), desc=f"{desc} ({spec})", unit="task")

    def finished(entry: str, files: dict[str, bytes] | None = None) -> None:
        if files is not None:
            store_files(files)
        record = _record(entry)
        report.computed.append(entry)
        report.devices[entry] = f"{record.get('device', 'unknown device')} on {record.get('host', 'unknown host')}"
        if on_done is not None:
            on_done(entry)
        bar.update()

    try:
        if client is None and in_process(spec):
            for t in todo:
                kwargs = {**t.kwargs, **({"progress": True} if _accepts_progress(t.function) else {})}
                try:
                    t.function(*t.args, **kwargs)
                except Exception as err:
                    report.failures.append(Failure(t.entry, t.describe(), f"{type(err).__name__}: {err}",
                                                   traceback.format_exc()))
                    continue
                if not is_cached(t.entry):
                    report.failures.append(Failure(t.entry, t.describe(), "the call made no cache entry of that "
                                                   "name: the task's entry is not the key of its call"))
                    continue
                finished(t.entry)
        elif client is not None:
            _run_on(client, None, todo, report, finished, retries)
        else:
            with open_client(spec) as (opened, threads):
                _run_on(opened, threads, todo, report, finished, retries)
    finally:
        bar.close()
        report.wall_s = round(time.perf_counter() - start, 3)
    return report


def _run_on(client, threads: int | None, todo: list[Task], report: SweepReport, finished, retries: int) -> None:
    from distributed import as_completed

    futures = {client.submit(compute_entry, t.entry, t.function, t.args, t.kwargs, threads, key=f"hmm-{t.entry}",
                             pure=False, retries=retries): t for t in todo}
    for future in as_completed(futures):
        t = futures[future]
        try:
            files = future.result()
        except Exception as err:          # the task raised, or lost allowed-failures workers (KilledWorker)
            report.failures.append(Failure(t.entry, t.describe(), f"{type(err).__name__}: {err}",
                                           "".join(traceback.format_exception(err))))
        else:
            finished(t.entry, files)
        finally:
            future.release()


# ------------------------------------------------------------------------------------------ benchmark
BENCH = dict(g="erf", N=500, D=250, runs=4, t_max=10.0, points=10)   # one batch: ~2 s on one core
BENCH_ALPHAS = (0.0, 3.0, 5.0)
SWEEP_SCHEMA = 1
SWEEP_RECORDS = paths.ROOT / "results" / "bench" / "sweep"


def benchmark_tasks(batches: int = 4, **setup) -> list[Task]:
    """A small Section IV sweep: ``batches`` engine batches (mixture indices 0, 1, ...) of the cells
    (alpha in ``BENCH_ALPHAS``, m = 2, unstandardised) of ``Setup(**BENCH, **setup)``."""
    from ..studies.mixture_dynamics import Setup
    from ..studies.universality import guarded_batch

    s = Setup(**{**BENCH, **setup})
    out = []
    for x in range(validate.integer("batches", batches, 1)):
        cs = tuple(dict.fromkeys(s.comparison(a, 2, False, mixture=x) for a in BENCH_ALPHAS))
        digest, _ = cache.key_of(guarded_batch.cache_name, {"cs": cs}, guarded_batch.version)
        out.append(Task(f"guarded_batch/{digest}", guarded_batch, (cs,)))
    return out


def _timed(tasks: list[Task], workers: int | None) -> dict:
    """One timing of the sweep ``tasks`` from an empty cache: in this process (``workers`` None) or on a Dask
    LocalCluster of ``workers`` processes, started and its workers' imports done before the sweep's clock starts."""
    import importlib

    import torch

    with tempfile.TemporaryDirectory(prefix="hmm-bench-") as tmp:
        saved = {k: os.environ.get(k) for k in ("HMM_CACHE_DIR", "HMM_STASH_DIR")}
        os.environ.update(HMM_CACHE_DIR=str(Path(tmp) / "cache"), HMM_STASH_DIR=str(Path(tmp) / "stash"))
        t0 = time.perf_counter()
        try:
            if workers is None:
                start_s, threads = 0.0, torch.get_num_threads()
                report = sweep(tasks, "local:1", desc="bench")
            else:
                with open_client(f"local:{workers}") as (client, threads):
                    client.wait_for_workers(workers)
                    client.run(importlib.import_module, tasks[0].function.__module__)
                    start_s = time.perf_counter() - t0
                    report = sweep(tasks, client=client, desc="bench")
        finally:
            _restore(saved)
    if report.failures:
        raise SweepFailed(report)
    return dict(scheduler="local:1, in this process" if workers is None else f"Dask LocalCluster of {workers}",
                workers=workers or 1, dask=workers is not None, torch_threads=threads, start_s=round(start_s, 3),
                wall_s=report.wall_s, total_s=round(time.perf_counter() - t0, 3),
                devices=sorted(set(report.devices.values())))


def sweep_benchmark(batches: int = 4, workers=(1, 2), repeats: int = 2, **setup) -> dict:
    """Wall time of the same sweep (:func:`benchmark_tasks`) computed in this process (``local:1``) and on Dask
    local clusters of each number of ``workers``, each from an empty cache (and a throw-away stash), the
    configurations taken in turn ``repeats`` times after an unrecorded warm-up batch in this process; returns
    the record (JSON-ready).

    Record: ``schema``, ``kind`` ("sweep"), ``slug`` (the machine, as the engine benchmark names it), ``date``, ``git_commit``,
    ``git_dirty``, ``machine`` (:func:`lib.core.machine.machine_info`), ``load_average`` (start, end: 1, 5, 15
    min), ``sweep`` (batches, setup, alphas, m, standardize, runs_per_batch, steps_per_run), ``rows`` (one per
    configuration and repeat: ``scheduler``, ``workers``, ``dask``, ``torch_threads`` per worker, ``start_s``
    (the cluster's start and its workers' imports), ``wall_s`` (the sweep: first submit to last entry in the
    cache), ``total_s``, ``devices``, ``repeat``), ``best_wall_s`` ({scheduler: least wall_s}) and
    ``speedup`` ({"<N>_vs_1": best wall_s of the 1-worker cluster over that of the N-worker one})."""
    from ..bench.record import device_slug
    from ..core.machine import git_commit, machine_info

    setup = {**BENCH, **setup}
    tasks = benchmark_tasks(batches, **setup)
    load_start = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    rows = []
    _timed(tasks[:1], None)                         # warm-up, not recorded: this process's first-call costs
    for repeat in range(validate.integer("repeats", repeats, 1)):
        for n in (None, *workers):
            rows.append({**_timed(tasks, n), "repeat": repeat})
    best = {}
    for r in rows:
        best[r["scheduler"]] = min(best.get(r["scheduler"], float("inf")), r["wall_s"])
    by_workers = {r["workers"]: best[r["scheduler"]] for r in rows if r["dask"]}
    machine = machine_info()
    commit, dirty = git_commit()
    return dict(schema=SWEEP_SCHEMA, kind="sweep", slug=device_slug(machine),
                date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                git_commit=commit, git_dirty=dirty, machine=machine,
                load_average=dict(start=load_start, end=list(os.getloadavg()) if load_start else None),
                sweep=dict(batches=len(tasks), setup=setup, alphas=list(BENCH_ALPHAS), m=2, standardize=False,
                           runs_per_batch=len(BENCH_ALPHAS) * setup["runs"],
                           steps_per_run=int(setup["t_max"] * setup["N"])),
                rows=rows, best_wall_s=best,
                speedup={f"{n}_vs_1": round(by_workers[1] / by_workers[n], 3) for n in by_workers
                         if 1 in by_workers and n != 1})


def write_benchmark(record: dict, folder: Path | None = None) -> Path:
    """Write a :func:`sweep_benchmark` record to ``<folder>/<slug>.json`` (default ``results/bench/sweep``)."""
    folder = Path(folder or SWEEP_RECORDS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['slug']}.json"
    cache.atomic_write(path, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
    return path
