"""The benchmark code (lib.bench.engine, lib.bench.scaling, lib.bench.ode): records, slugs, the timed copy of an
engine block, and the scaling functions on tiny configurations. No timing is asserted (timed tests flake
on a shared machine): only structure, positivity and finiteness, and exact equality where arithmetic is
compared."""
import json
import math
import re

import pytest
import torch

from lib import bench
from lib.bench.scaling import (PHASES, log_slope, scaling_with_N, scaling_with_runs, steps_for, time_breakdown,
                               timed_block_step)
from lib.core.model import Model, init_weights
from lib.core.sgd import _Block, run_generator
from lib.core.validate import ParameterError

TINY = Model(N=64, D=32, K=2, M=2, lr=0.2, f="sgn", g="erf")


def _finite_positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.mark.parametrize("text", ["Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "AMD EPYC", "NVIDIA H100 80GB HBM3",
                                  "../../etc/passwd", "  ", "Ünïcödé / name:with*chars?"])
def test_slug_is_a_safe_file_name(text):
    s = bench.slugify(text)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s), s
    assert len(s) <= 60 and bench.slugify(s) == s


def test_device_slug_names_cpu_or_gpu():
    cpu = bench.device_slug({"cpu_model": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "cores": 2, "gpu": None})
    assert cpu == "cpu-2core-intel-xeon-platinum-8375c", cpu
    assert bench.device_slug({"cpu_model": "x", "cores": 16, "gpu": "NVIDIA H100 80GB HBM3"}) == "cuda-nvidia-h100-80gb-hbm3"
    here = bench.device_slug(bench.machine_info())
    assert here == bench.slugify(here) and here.startswith("cuda-" if torch.cuda.is_available() else "cpu-")


def test_record_round_trips_and_overwrites(tmp_path):
    # A hand-made record (no measurement): save, load, overwrite with the same slug.
    rec = {"schema": bench.SCHEMA, "slug": "cpu-2core-test", "mode": "tiny", "date": "2025-01-01T00:00:00+00:00",
           "machine": {"cpu_model": "test", "cores": 2, "torch_threads": 1, "gpu": None},
           "load_average": {"start": [0.5, 0.4, 0.3]},
           "cpu": {"engine_run_steps_per_s": 2e4, "numpy_loop_run_steps_per_s": 5e3, "ratio": 4.0,
                   "gemm_floor_run_steps_per_s": 4e4},
           "ode": {"erf_cpu": 1.0, "erf_cpu_t100": 1.2, "relu_cpu": 5.0, "relu_cpu_t100": 6.0}}
    path = bench.save_record(rec, tmp_path)
    assert path.name == "cpu-2core-test.json"
    assert bench.load_records(tmp_path) == [rec]
    bench.save_record({**rec, "mode": "full"}, tmp_path)
    loaded = bench.load_records(tmp_path)
    assert len(loaded) == 1 and loaded[0]["mode"] == "full"
    h = bench.headline(loaded[0])
    assert h["floor_share"] == pytest.approx(0.5) and h["ode_ratio_cpp"] == pytest.approx(1.2 / 0.6)
    with pytest.raises(ParameterError, match="slug"):
        bench.save_record({**rec, "slug": "../evil"}, tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        bench.load_records(tmp_path)


def test_stored_records_parse_and_are_small():
    for path in sorted(bench.RESULTS.glob("*.json")):
        assert path.stat().st_size < 20_000, path
        assert path.stem == json.loads(path.read_text())["slug"], path
    for rec in bench.load_records():
        h = bench.headline(rec)
        assert all(_finite_positive(h[k]) for k in ("engine", "numpy_loop", "ratio", "floor")), h
        assert rec["git_commit"] == "unknown" or re.fullmatch(r"[0-9a-f]{40}", rec["git_commit"]), rec["git_commit"]


def test_timed_block_is_the_engine_block_bit_for_bit():
    # The breakdown times a copy of _Block.step: the same torch calls in the same order must give exactly
    # the same W and v (float32, several chunks of runs so the chunk loop is exercised too).
    runs, n = 5, 8
    w = init_weights(TINY, runs, 3, dtype=torch.float32)
    a, b = _Block(TINY, w.clone(), n, chunk=2), _Block(TINY, w.clone(), n, chunk=2)
    gens = [run_generator(0, r) for r in range(runs)]
    clock = {}
    for _ in range(3):
        C = torch.randn(runs, n, TINY.D, generator=gens[0])
        a.buf("C", n).copy_(C)
        b.buf("C", n).copy_(C)
        a.step(n)
        timed_block_step(b, n, clock)
    assert torch.equal(a.W, b.W) and torch.equal(a.v, b.v)
    assert not torch.equal(a.W, w.W.float())                       # training did move the weights
    assert set(clock) == set(PHASES) - {"sample C"} and all(s >= 0 for s in clock.values())


def test_breakdown_and_scaling_return_positive_finite_figures():
    br = time_breakdown(TINY, runs=3, blocks=2, block=8)
    assert set(br["seconds_per_block"]) == set(PHASES)
    assert all(_finite_positive(s) for s in br["seconds_per_block"].values()), br
    assert sum(br["fraction"].values()) == pytest.approx(1.0)
    assert _finite_positive(br["step_s_per_block"]) and _finite_positive(br["run_steps_per_s"])
    rows = scaling_with_N((32, 64), runs=2, run_steps=100, floor_seconds=0.01, base=TINY)
    assert [r["N"] for r in rows] == [32, 64] and [r["D"] for r in rows] == [16, 32]
    assert all(_finite_positive(r["run_steps_per_s"]) and _finite_positive(r["floor_run_steps_per_s"]) for r in rows)
    rows = scaling_with_runs((1, 3), model=TINY, run_steps=256, max_steps=256)
    assert [r["runs"] for r in rows] == [1, 3] and all(_finite_positive(r["run_steps_per_s"]) for r in rows)
    assert all(r["steps"] % 32 == 0 for r in rows)


def test_steps_and_slope_helpers():
    assert steps_for(1, 10, 32) == 128                             # at least four blocks
    assert steps_for(10, 10_000, 32) == 1024                       # 1000 rounded up to whole blocks
    assert steps_for(1, 10**9, 32, max_steps=500) == 512
    assert log_slope([250, 500, 1000, 2000], [9.0, 7.0, 4.0, 1.0]) == pytest.approx(-2.0)
    assert log_slope([1, 2, 4], [1, 2, 4], last=3) == pytest.approx(1.0)


def test_ode_bench_scales_short_runs_to_t100(monkeypatch):
    from lib.bench import ode as ode_bench

    calls = []
    monkeypatch.setattr(ode_bench, "_time_one", lambda g, runs, device, t_max, repeats, points=60:
                        calls.append((g, t_max, points)) or {"erf": 0.05, "relu": 0.2}[g])
    out = ode_bench.bench_ode(t_max=5.0, repeats=1, verbose=False)
    assert out["erf_cpu_t100"] == pytest.approx(1.0) and out["relu_cpu_t100"] == pytest.approx(4.0)
    assert out["ratio_erf_to_cpp"] == pytest.approx(1.0 / ode_bench.REFERENCE_CPP_SECONDS)
    assert all(p == 2 for _, _, p in calls)                         # short runs record their end points only
    with pytest.raises(ParameterError, match="t_max"):
        ode_bench.bench_ode(t_max=0.0, verbose=False)


def test_run_benchmark_rejects_unknown_options():
    with pytest.raises(ParameterError, match="mode"):
        bench.run_benchmark("huge")
    with pytest.raises(ParameterError, match="bogus"):
        bench.run_benchmark("tiny", bogus=1)
