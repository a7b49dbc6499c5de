"""Benchmarks: ``python -m lib bench`` measures run-steps per second of the batched SGD engine and of a
plain one-run-one-step numpy loop, in the same process, at the paper's configuration (D = 500, N = 1000,
K = M = 2, f = sgn, g = erf, float32), the input-GEMM floor, the ODE integration time against the C++
reference, how the engine's rate grows with N and with the number of runs (lib.bench.scaling) and where
one block's time goes; on CUDA too when present.

One function per benchmark; each returns a dict of its figures. :mod:`lib.bench.record` gathers them into
one record and is the command line.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np
import torch
from scipy import special

from ..core import validate
from ..core.model import Model, init_weights
from ..core.sgd import BLOCK_DEFAULT, simulate_sgd

PAPER = Model(N=1000, D=500, K=2, M=2, lr=0.2, f="sgn", g="erf")


class _Gaussian:
    """Standard normal C: the cheapest input distribution, so the engine itself is measured."""

    def __init__(self, D: int):
        self.D = D

    def sample(self, n, generator, device=None, dtype=torch.float32):
        return torch.randn(n, self.D, generator=generator, device=device or generator.device, dtype=dtype)


def _numpy_blas_threads(n: int) -> bool:
    """Set the thread count of numpy's bundled OpenBLAS (a one-vector product gains nothing from
    threads, and on a loaded 2-core machine OpenBLAS's spinning threads slow it down 100-fold)."""
    import ctypes
    import glob
    import os

    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(lib, name):
                getattr(lib, name)(ctypes.c_int(n))
                return True
    return False


def bench_numpy_reference(model: Model = PAPER, steps: int = 20_000, seed: int = 0) -> dict:
    """A plain numpy loop, one run, one step per iteration (eqs. 1-2, S7-S8), float32 matrices,
    one BLAS thread."""
    _numpy_blas_threads(1)
    rng = np.random.default_rng(seed)
    N, D, K, M, lr = model.N, model.D, model.K, model.M, model.lr
    F = rng.standard_normal((D, N), dtype=np.float32) / np.float32(math.sqrt(D))
    Wt = rng.standard_normal((M, D), dtype=np.float32) / np.float32(math.sqrt(D))
    vt = rng.standard_normal(M).astype(np.float32)
    W = rng.standard_normal((K, N), dtype=np.float32)
    v = rng.standard_normal(K).astype(np.float32)
    g = lambda x: special.erf(x / np.float32(math.sqrt(2)))
    dg = lambda x: np.float32(math.sqrt(2 / math.pi)) * np.exp(-0.5 * x * x)
    start = time.perf_counter()
    for _ in range(steps):
        c = rng.standard_normal(D, dtype=np.float32)
        x = np.sign(c @ F)
        y = vt @ g(Wt @ c)
        lam = W @ x / np.float32(math.sqrt(N))
        gl = g(lam)
        err = v @ gl - y
        W -= np.outer((lr / math.sqrt(N)) * err * v * dg(lam), x).astype(np.float32)
        v -= (lr / N) * err * gl
    wall = time.perf_counter() - start
    return {"name": "numpy reference (1 run)", "run_steps_per_s": steps / wall, "wall_s": wall}


def bench_gemm_floor(model: Model = PAPER, rows: int = 6400, device: str = "cpu", seconds: float = 2.0) -> dict:
    """The input product alone: X = sgn(C F / sqrt D) for ``rows`` run-steps in one GEMM, float32.
    No engine can beat it; it also shows how much of the machine this process is getting."""
    C = torch.randn(rows, model.D, device=device)
    F = torch.randn(model.D, model.N, device=device)
    X = torch.empty(rows, model.N, device=device)
    torch.mm(C, F, out=X)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    start, k = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        torch.mm(C, F, out=X).sign_()
        k += 1
    sync()
    return {"name": f"floor: input GEMM only, {device}", "run_steps_per_s": rows * k / (time.perf_counter() - start)}


def bench_engine(model: Model = PAPER, runs: int = 200, steps: int = 4000, block: int | None = None,
                 device: str = "cpu", dtype: torch.dtype = torch.float32) -> dict:
    """The engine's training throughput: ``simulate_sgd`` with recording reduced to the end points
    (points=2, no test set), Gaussian inputs. A short warm-up run is made first."""
    inputs = _Gaussian(model.D)
    w = init_weights(model, runs, 0, dtype=dtype, device=device)
    kw = dict(runs=runs, weights=w, points=2, test_samples=0, dtype=dtype, device=device, block=block,
              progress=False)
    simulate_sgd(model, inputs, t_max=min(steps, 4 * (block or BLOCK_DEFAULT[torch.device(device).type])) / model.N, **kw)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    simulate_sgd(model, inputs, t_max=steps / model.N, **kw)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    return {"name": f"engine {device} R={runs} block={block or BLOCK_DEFAULT[torch.device(device).type]} {str(dtype)[6:]}",
            "run_steps_per_s": runs * steps / wall, "wall_s": wall}


def bench_cpu(runs: int = 200, steps: int = 3000, block: int | None = None, ref_steps: int = 10_000,
              floor_seconds: float = 2.0) -> list[dict]:
    """The numpy loop, the engine and the GEMM floor, in this order, in one process: the engine's
    "ratio" to the loop is measured in one run."""
    ref = bench_numpy_reference(steps=ref_steps)
    eng = bench_engine(runs=runs, steps=steps, block=block, device="cpu")
    eng["ratio"] = eng["run_steps_per_s"] / ref["run_steps_per_s"]
    return [ref, eng, bench_gemm_floor(seconds=floor_seconds)]


def bench_cuda(runs: int = 4096, steps: int = 4096, block: int | None = None) -> list[dict]:
    if not torch.cuda.is_available():
        return []
    eng = bench_engine(runs=runs, steps=steps, block=block, device="cuda")
    eng["device_name"] = torch.cuda.get_device_name(0)
    return [eng, bench_gemm_floor(rows=runs * 64, device="cuda")]
