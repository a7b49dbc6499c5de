"""lib.pipeline.dask_sweep: a sweep of tiny Section IV engine batches gives the serial run's results, bit for bit,
on a LocalCluster of 2 worker processes, when a worker is killed mid-task, and on a scheduler and two workers
started as separate processes on 127.0.0.1 (as a user starts them on two machines); failures are reported with
their call and do not stop the others; the scheduler option is parsed and refused as it should be."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from lib.core import cache
from lib.core.model import Model
from lib.core.validate import ParameterError
from lib.pipeline import dask_sweep as ds
from lib.pipeline import paper
from lib.studies.universality import Law, comparison, guarded_batch

TINY = dict(N=60, D=30, runs=2, t_max=1.0, points=6)            # one batch: ~0.1 s


def _tasks(n: int = 3) -> list[ds.Task]:
    return ds.benchmark_tasks(n, **TINY)


def _failing_task() -> ds.Task:
    """A batch that raises (two models in one batch), under the entry its call would make."""
    law = Law("g", "gaussian")
    cs = (comparison(Model(N=60, D=30, K=2, M=2), law, runs=2, t_max=1.0),
          comparison(Model(N=40, D=30, K=2, M=2), law, runs=2, t_max=1.0))
    digest, _ = cache.key_of(guarded_batch.cache_name, {"cs": cs}, guarded_batch.version)
    return ds.Task(f"guarded_batch/{digest}", guarded_batch, (cs,))


TIMINGS = ("wall_s", "run_steps_per_s", "seconds")              # in the engines' meta: how long, not what


def _same(a, b, where="result") -> None:
    """``a`` and ``b`` are equal bit for bit: arrays by dtype, shape and bytes, floats by their bytes (the
    engine's timings excepted)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), where
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            if k not in TIMINGS:
                _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, (float, np.floating)):
        assert np.float64(a).tobytes() == np.float64(b).tobytes(), where
    else:
        assert a == b, where


def _load(root, tasks, monkeypatch, tmp_path):
    """The tasks' results read from the cache folder ``root`` only (a miss raises instead of computing)."""
    empty = tmp_path / f"empty-{root.name}"
    monkeypatch.setenv("HMM_CACHE_DIR", str(empty))
    cache.read_only_source(root, strict=True)
    try:
        return [t.function(*t.args) for t in tasks]
    finally:
        cache.reset_sources()


def _in(monkeypatch, tmp_path, name: str):
    root = tmp_path / name
    monkeypatch.setenv("HMM_CACHE_DIR", str(root))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / f"stash-{name}"))
    return root


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The tiny sweep computed in this process (``local:1``): (cache folder, report)."""
    root = tmp_path_factory.mktemp("serial")
    saved = os.environ.get("HMM_CACHE_DIR")
    os.environ["HMM_CACHE_DIR"] = str(root)
    try:
        report = ds.sweep(_tasks(), "local:1")
    finally:
        os.environ["HMM_CACHE_DIR"] = saved
    assert len(report.computed) == 3 and not report.failures
    return root, report


@pytest.fixture(scope="module")
def local_cluster():
    pytest.importorskip("distributed")
    with ds.open_client("local:2") as (client, threads):
        client.wait_for_workers(2, timeout=120)
        yield client


# ------------------------------------------------------------------------------------------ without Dask
def test_scheduler_option_is_parsed_and_refused_as_documented(monkeypatch):
    monkeypatch.delenv(ds.ENV, raising=False)
    assert ds.scheduler_spec() == "local:1" and ds.in_process(ds.scheduler_spec())
    assert ds.scheduler_spec("local") == "local:1" and ds.scheduler_spec("local:3") == "local:3"
    assert ds.scheduler_spec(workers=2) == "local:2"
    assert ds.scheduler_spec("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    monkeypatch.setenv(ds.ENV, "tcp://gpu-box:8786")
    assert ds.scheduler_spec() == "tcp://gpu-box:8786" and ds.scheduler_spec("local:2") == "local:2"
    for bad in ("local:0", "local:x", "slurm"):
        with pytest.raises(ParameterError, match="local:N"):
            ds.scheduler_spec(bad)
    with pytest.raises(ParameterError, match="not both"):
        ds.scheduler_spec("local:2", workers=2)
    with pytest.raises(ParameterError, match="workers"):
        ds.scheduler_spec(workers=0)
    monkeypatch.setenv(ds.ENV, "nowhere")
    with pytest.raises(ParameterError, match="HMM_DASK_SCHEDULER"):
        ds.scheduler_spec()
    assert paper.main(["--scheduler", "local:2", "--workers", "2", "04_mixture_dynamics"]) == 2


def test_without_distributed_local1_computes_in_process_and_a_cluster_says_what_to_install(monkeypatch, tmp_path,
                                                                                         serial):
    monkeypatch.setitem(sys.modules, "distributed", None)             # as if not installed
    root = _in(monkeypatch, tmp_path, "nodask")
    report = ds.sweep(_tasks(2), "local:1")
    assert len(report.computed) == 2 and all(ds.is_cached(t.entry, root) for t in _tasks(2))
    assert ds.sweep(_tasks(2), "local:1").cached == 2                   # a second sweep computes nothing
    with pytest.raises(ParameterError, match="pip install distributed"):
        ds.sweep(_tasks(3), "local:2")
    _same(_load(root, _tasks(2), monkeypatch, tmp_path), _load(serial[0], _tasks(2), monkeypatch, tmp_path))


def test_a_failing_task_is_reported_with_its_call_and_the_others_are_kept(monkeypatch, tmp_path):
    root = _in(monkeypatch, tmp_path, "failing")
    done = []
    report = ds.sweep([_failing_task(), *_tasks(1)], "local:1", on_done=done.append)
    assert report.computed == done == [_tasks(1)[0].entry]
    (failure,) = report.failures
    assert failure.entry == _failing_task().entry and "share model" in failure.error
    assert "guarded_batch((Comparison(model=Model(N=60" in failure.call and "ParameterError" in failure.traceback
    assert "1 failed" in report.summary() and "FAILED guarded_batch/" in report.summary()
    assert "1 of 2 task(s) failed" in str(ds.SweepFailed(report))
    assert ds.is_cached(_tasks(1)[0].entry, root) and not ds.is_cached(failure.entry, root)


def test_store_files_writes_records_first_and_refuses_odd_names(tmp_path):
    ds.store_files({"f/abc.npz": b"result", "f/abc.json": b"{}", "g/x.json": b"{}"}, tmp_path)
    assert (tmp_path / "f" / "abc.npz").read_bytes() == b"result" and ds.is_cached("f/abc", tmp_path)
    assert not ds.is_cached("g/x", tmp_path)                          # a record without a result is no entry
    ds.store_files({"f/abc.npz": b"other", "f/abc.json": b"{}", "g/x.npz.xz": b"packed"}, tmp_path)
    assert (tmp_path / "f" / "abc.npz").read_bytes() == b"result"       # an entry the cache holds is kept
    assert ds.is_cached("g/x", tmp_path)                              # a packed result is read too
    ds.store_files({"h/old.pkl": b"pickle", "h/old.json": b"{}"}, tmp_path)
    assert not ds.is_cached("h/old", tmp_path)                        # a format the cache no longer reads
    for bad in ("../x.json", "f/../../x", "x.json", "f/.hidden"):
        with pytest.raises(ValueError):
            ds.store_files({bad: b""}, tmp_path)


# ------------------------------------------------------------------------------------------ with Dask
@pytest.mark.dask
def test_local_cluster_of_two_processes_gives_the_serial_results_bit_for_bit(local_cluster, serial, monkeypatch,
                                                                             tmp_path):
    root = _in(monkeypatch, tmp_path, "cluster")
    done = []
    report = ds.sweep([*_tasks(), _failing_task()], client=local_cluster, on_done=done.append)
    assert sorted(report.computed) == sorted(done) == sorted(t.entry for t in _tasks())
    (failure,) = report.failures                                      # the failure stopped nothing
    assert failure.entry == _failing_task().entry and "ParameterError" in failure.error
    # each entry comes with its record, which names the device and host it was computed on
    for t in _tasks():
        record = json.loads((root / f"{t.entry}.json").read_text())
        assert record["device"] and report.devices[t.entry] == f"{record['device']} on {record['host']}"
    # the nested cached calls' entries come back too (the ODE references)
    assert list((root / "ode_reference").glob("*.json"))
    _same(_load(root, _tasks(), monkeypatch, tmp_path), _load(serial[0], _tasks(), monkeypatch, tmp_path))
    monkeypatch.setenv("HMM_CACHE_DIR", str(root))
    assert ds.sweep(_tasks(), client=local_cluster).cached == 3       # resumes: nothing computed again


@pytest.mark.dask
def test_a_worker_killed_mid_task_is_replaced_and_the_sweep_completes(local_cluster, serial, monkeypatch, tmp_path):
    flag = tmp_path / "kill-the-worker-once"
    flag.write_text("")

    def killed_on_first_attempt(*args, **kwargs):                    # pickled by value: the workers need no tests/
        if flag.exists():
            flag.unlink()
            os._exit(13)                                              # the worker process dies mid-task
        return guarded_batch(*args, **kwargs)

    tasks = _tasks()
    tasks[1] = dataclasses.replace(tasks[1], function=killed_on_first_attempt)
    root = _in(monkeypatch, tmp_path, "killed")
    report = ds.sweep(tasks, client=local_cluster)
    assert not flag.exists(), "the task did not kill its worker"
    assert not report.failures and sorted(report.computed) == sorted(t.entry for t in tasks)
    _same(_load(root, _tasks(), monkeypatch, tmp_path), _load(serial[0], _tasks(), monkeypatch, tmp_path))


def _start(args, cwd, log):
    return subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.dask
def test_scheduler_and_two_workers_as_separate_processes_complete_a_sweep(serial, monkeypatch, tmp_path):
    """As on two machines: `dask scheduler`, `dask worker ADDRESS` twice (each in its own folder: nothing shared
    but the network), and the sweep pointed at the scheduler's address."""
    distributed = pytest.importorskip("distributed")
    info = tmp_path / "scheduler.json"
    procs = []
    log = open(tmp_path / "dask.log", "w")
    try:
        procs.append(_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(info)], tmp_path, log))
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, (tmp_path / "dask.log").read_text()
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            (tmp_path / f"machine{i}").mkdir()
            procs.append(_start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                 "--no-dashboard", "--death-timeout", "60"], tmp_path / f"machine{i}", log))
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        root = _in(monkeypatch, tmp_path, "remote")
        report = ds.sweep(_tasks(), address)
        assert report.scheduler == address and not report.failures and len(report.computed) == 3
        _same(_load(root, _tasks(), monkeypatch, tmp_path), _load(serial[0], _tasks(), monkeypatch, tmp_path))
    finally:
        for group in (procs[1:], procs[:1]):                          # the workers (their nannies), then the scheduler
            for p in group:
                p.terminate()
            for p in group:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        log.close()


def test_no_scheduler_at_the_address_is_one_clear_error(monkeypatch, tmp_path):
    pytest.importorskip("distributed")
    monkeypatch.setattr(ds, "_CONNECT_TIMEOUT", "2s")
    _in(monkeypatch, tmp_path, "nowhere")
    with pytest.raises(ParameterError, match="no Dask scheduler answers at tcp://127.0.0.1:9"):
        ds.sweep(_tasks(1), "tcp://127.0.0.1:9")


def test_sweep_benchmark_record_is_written_as_documented(tmp_path):
    """The record's documented fields (in-process only here: no cluster), written under its machine's name."""
    record = ds.sweep_benchmark(2, workers=(), repeats=1, **TINY)
    assert record["kind"] == "sweep" and record["schema"] == ds.SWEEP_SCHEMA and record["sweep"]["batches"] == 2
    (row,) = record["rows"]
    assert row["workers"] == 1 and not row["dask"] and row["wall_s"] > 0 and row["devices"]
    assert record["best_wall_s"] == {row["scheduler"]: row["wall_s"]} and record["speedup"] == {}
    path = ds.write_benchmark(record, tmp_path)
    assert json.loads(path.read_text()) == record and path.name == f"{record['slug']}.json"


def test_the_committed_sweep_benchmarks_time_1_and_2_local_workers():
    committed = sorted(ds.SWEEP_RECORDS.glob("*.json"))
    assert committed, "no committed sweep benchmark"
    for p in committed:
        r = json.loads(p.read_text())
        assert r["kind"] == "sweep" and p.stem == r["slug"] and p.stat().st_size < 20_000
        assert {x["workers"] for x in r["rows"] if x["dask"]} >= {1, 2} and r["speedup"]["2_vs_1"] > 0


def test_lib_run_scheduler_computes_the_chapters_batches_before_it_runs(monkeypatch, tmp_path, capsys):
    """``lib run --scheduler``: the chapter's engine batches (the ones its kernel will ask for) are computed first,
    stashed and cached; a chapter without known batches computes nothing there; a bad scheduler is one error."""
    from lib.pipeline import run

    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    monkeypatch.setenv("HMM_OUTPUT_DIR", str(tmp_path / "output"))
    cache.reset_sources()
    tiny = {"activations": ["relu"], "ms": [2], "alphas": [0, 9], "shared_alphas": [9], "n_mixtures": 1, "runs": 2, "N": 60, "D": 30, "t_max": 0.5}
    params = {**{k: v for k, v in paper.chapter_parameters("04_mixture_dynamics", "quick").items()}, **tiny}
    expected = sorted(paper.pieces("04_mixture_dynamics", params))
    assert len(expected) == 3                                             # raw, standardised, shared label
    assert run.prefetch_batches("04_mixture_dynamics", "quick", tiny, "local:1") == 3
    made = sorted(f"guarded_batch/{p.stem}" for p in (tmp_path / "cache" / "guarded_batch").glob("*.npz"))
    assert made == expected
    assert run.prefetch_batches("04_mixture_dynamics", "quick", tiny, "local:1") == 0          # all cached
    assert run.prefetch_batches("02_hidden_manifold", "quick", {}, "local:1") == 0
    assert "no engine batches are known" in capsys.readouterr().out
    assert run.main(["04_mixture_dynamics", "--scheduler", "nowhere:3", "-p", "runs", "2"]) == 2
    assert "scheduler" in capsys.readouterr().err
