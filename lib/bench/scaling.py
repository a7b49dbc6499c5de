"""How the SGD engine's cost grows with N and with the number of runs R, and where one block's time goes.

Throughput is counted in run-steps per second: R runs advanced by n steps each are R n run-steps.
Every figure here times :func:`lib.core.sgd.simulate_sgd` itself (through :func:`lib.bench.engine.bench_engine`),
except :func:`time_breakdown`, which times the parts of one engine block separately. It cannot call
the parts on their own (``_Block.step`` does them in one method, and sgd.py is not refactored for a
benchmark), so it repeats the *same torch calls in the same order* as ``_Block.step`` with a clock
read between them, and calls the engine's own ``_Block._loop`` for the sequential part. A test
checks that this timed copy leaves W and v bit-for-bit equal to ``_Block.step``.
"""
from __future__ import annotations

import math
import time

import torch

from ..core import validate
from .engine import PAPER, _Gaussian, bench_engine, bench_gemm_floor
from ..core.model import Model, init_weights
from ..core.sgd import BLOCK_DEFAULT, _Block, run_generator

PHASES = ("sample C", "input GEMM + fold", "teacher labels", "Gram + preactivations", "sequential loop",
          "W update")


def steps_for(runs: int, run_steps: int, block: int, max_steps: int = 20_000) -> int:
    """Steps per run so that ``runs`` runs make about ``run_steps`` run-steps: a multiple of ``block``,
    at least four blocks (the engine's warm-up length), at most ``max_steps``."""
    steps = max(4 * block, min(max_steps, math.ceil(run_steps / runs)))
    return block * math.ceil(steps / block)


def scaling_with_N(N_values=(250, 500, 1000, 2000), ratio: float = 0.5, runs: int = 100,
                   run_steps: int = 300_000, floor_seconds: float = 0.5, base: Model = PAPER) -> list[dict]:
    """Engine run-steps/s against N at fixed D / N = ``ratio`` (and the input-GEMM floor at each N).

    One step costs about 2 N D + 2 K N flops for the input product and the student, so the rate should
    fall like 1 / (N D) = 1 / (ratio N^2) once the product dominates. The run-steps measured at N are
    ``run_steps`` (D N of ``base``) / (D N at this size), so every point takes about as long.
    Returns one dict per N: N, D, runs, steps, run_steps_per_s, floor_run_steps_per_s, wall_s.
    """
    ratio = validate.real("ratio", ratio, positive=True)
    runs = validate.integer("runs", runs, 1)
    block = BLOCK_DEFAULT["cpu"]
    rows = []
    for N in N_values:
        N = validate.integer("N_values", N, 2)
        D = max(1, round(ratio * N))
        model = Model(N=N, D=D, K=base.K, M=base.M, lr=base.lr, f=base.f, g=base.g)
        scaled = run_steps * (base.N * base.D) / (N * D)
        steps = steps_for(runs, int(scaled), block)
        eng = bench_engine(model, runs=runs, steps=steps, block=block)
        floor = bench_gemm_floor(model, rows=min(6400, max(block, runs * block)), seconds=floor_seconds)
        rows.append(dict(N=N, D=D, runs=runs, steps=steps, run_steps_per_s=eng["run_steps_per_s"],
                         floor_run_steps_per_s=floor["run_steps_per_s"], wall_s=eng["wall_s"]))
    return rows


def scaling_with_runs(R_values=(1, 10, 50, 200, 800), model: Model = PAPER, run_steps: int = 300_000,
                      max_steps: int = 20_000) -> list[dict]:
    """Engine run-steps/s against the number of runs R batched together, at the configuration ``model``.

    Each point makes about ``run_steps`` run-steps (capped at ``max_steps`` steps per run). Returns one
    dict per R: runs, steps, run_steps_per_s, wall_s.
    """
    block = BLOCK_DEFAULT["cpu"]
    rows = []
    for R in R_values:
        R = validate.integer("R_values", R, 1)
        steps = steps_for(R, run_steps, block, max_steps)
        eng = bench_engine(model, runs=R, steps=steps, block=block)
        rows.append(dict(runs=R, steps=steps, run_steps_per_s=eng["run_steps_per_s"], wall_s=eng["wall_s"]))
    return rows


def timed_block_step(bl: _Block, n: int, clock: dict) -> torch.Tensor:
    """``bl.step(n)`` (lib.core.sgd, eqs. 1-2 and S7-S8) with the wall time of each part added to ``clock``.

    The torch calls and their order are those of ``_Block.step`` (keep them in sync; a test compares
    the results bit for bit). Shapes: C (R,n,D), X (R,n,N), G (R,n,n), L (R,n,K), y (R,n,1), c (R,n,K).
    """
    D, N = bl.model.D, bl.model.N
    C, X, G, L, y = (bl.buf(k, n) for k in ("C", "X", "G", "L", "y"))
    inv_sN = 1.0 / math.sqrt(N)
    tick = time.perf_counter

    def lap(name, t0):
        t1 = tick()
        clock[name] = clock.get(name, 0.0) + t1 - t0
        return t1

    t = tick()
    for r0 in range(0, bl.R, bl.chunk):
        sl = slice(r0, min(r0 + bl.chunk, bl.R))
        Cc, Xc = C[sl], X[sl]
        if bl.Fs.shape[0] == 1:
            torch.mm(Cc.view(-1, D), bl.Fs[0], out=Xc.view(-1, N))
        else:
            torch.bmm(Cc, bl.Fs[sl], out=Xc)
        bl.fold_(Xc)
        t = lap("input GEMM + fold", t)
        nu = torch.bmm(Cc, bl.Wts[sl].transpose(1, 2))
        torch.bmm(bl.g(nu), bl.v_t[sl].unsqueeze(2), out=y[sl])
        t = lap("teacher labels", t)
        torch.baddbmm(G[sl], Xc, Xc.transpose(1, 2), beta=0.0, alpha=inv_sN, out=G[sl])
        torch.baddbmm(L[sl], Xc, bl.W[sl].transpose(1, 2), beta=0.0, alpha=inv_sN, out=L[sl])
        t = lap("Gram + preactivations", t)
    c = bl._loop(G, L, y.squeeze(2), bl.buf("c", n))
    t = lap("sequential loop", t)
    for r0 in range(0, bl.R, bl.chunk):
        sl = slice(r0, min(r0 + bl.chunk, bl.R))
        bl.W[sl].baddbmm_(c[sl].transpose(1, 2), X[sl])
    lap("W update", t)
    return L


def time_breakdown(model: Model = PAPER, runs: int = 200, blocks: int = 20, block: int | None = None,
                   seed: int = 0) -> dict:
    """Where the time of one engine block goes, float32 on the CPU, Gaussian C.

    ``blocks`` blocks of ``block`` steps are run twice from the same weights: once through
    :func:`timed_block_step` (per-part times) and once through the engine's ``_Block.step`` (the whole,
    to check that the parts add up). C is drawn per run with the run's own generator, as
    ``simulate_sgd`` does on one thread. Returns {"runs", "block", "blocks", "seconds_per_block":
    {part: s}, "fraction": {part: share of the sum}, "step_s_per_block" (the untimed engine step),
    "run_steps_per_s" (from the sum of the parts)}.
    """
    runs = validate.integer("runs", runs, 1)
    blocks = validate.integer("blocks", blocks, 1)
    n = validate.integer("block", block if block is not None else BLOCK_DEFAULT["cpu"], 1)
    inputs = _Gaussian(model.D)
    w0 = init_weights(model, runs, seed, dtype=torch.float32)
    clock: dict[str, float] = {}
    whole = 0.0
    for timed in (True, False):
        bl = _Block(model, w0.clone(), n)
        gens = [run_generator(seed, r, 0) for r in range(runs)]
        for k in range(blocks + 1):                                       # block 0 warms up, not counted
            C = bl.buf("C", n)
            t0 = time.perf_counter()
            for r in range(runs):
                C[r].copy_(inputs.sample(n, gens[r]))
            t1 = time.perf_counter()
            if timed:
                part: dict[str, float] = {"sample C": t1 - t0}
                timed_block_step(bl, n, part)
                if k:
                    for name, s in part.items():
                        clock[name] = clock.get(name, 0.0) + s
            else:
                bl.step(n)
                if k:
                    whole += time.perf_counter() - t1
    per_block = {name: clock.get(name, 0.0) / blocks for name in PHASES}
    total = sum(per_block.values())
    return dict(model=model.asdict(), runs=runs, block=n, blocks=blocks, seconds_per_block=per_block,
                fraction={k: s / total for k, s in per_block.items()}, step_s_per_block=whole / blocks,
                run_steps_per_s=runs * n / total)


def log_slope(xs, ys, last: int = 2) -> float:
    """Slope of log y against log x over the ``last`` largest x (least squares): how a rate scales.
    For run-steps/s against N at fixed D / N the input product alone would give -2."""
    pairs = sorted(zip(xs, ys))[-validate.integer("last", last, 2):]
    x = [math.log(p[0]) for p in pairs]
    y = [math.log(p[1]) for p in pairs]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
