"""Batched online SGD of the hidden manifold model (eqs. 1-2 and S7-S8 of 001).

R independent runs are stacked along a leading run axis. Each step a run draws a fresh latent
C (D,) from its own input distribution with its own generator, forms X = f(C F / sqrt D) (N,), the
teacher label y = v~ . g(W~ C / sqrt D) and the student output yhat = v . g(lambda),
lambda = W X / sqrt N, and updates both layers with the old weights (eqs. S7-S8):

    W_k += -(lr / sqrt N) v_k (yhat - y) g'(lambda_k) X ,    v_k += -(lr / N) g(lambda_k) (yhat - y).

Blocks of n steps. The inputs of a block are made for all runs at once (one matrix product C F),
and so are the teacher labels. Within the block W changes by rank-one terms only,
W_s = W_0 + sum_{s' < s} c_{s'} X_{s'}^T with c_s = -(lr / sqrt N) v (yhat - y) g'(lambda) (K,), so

    lambda_s = W_0 X_s / sqrt N + sum_{s' < s} c_{s'} (X_{s'} . X_s) / sqrt N,

which needs only W_0 X^T and the Gram matrix X X^T of the block (two batched products). The
sequential loop then works on (R, K) numbers only, and W gets the block's update in one product
W += c^T X. This is the same arithmetic as the step-by-step loop, regrouped (tested to 1e-12 in
float64 against a literal loop over eqs. S7-S8).
"""
from __future__ import annotations

import contextlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np
import torch

from . import validate
from .cache import cached
from .device import resolve
from .functions import activation, fold
from .integrals import eg_analytic
from .model import Model, Weights, init_weights
from .order_params import order_parameters
from .trajectory import Trajectory, record_steps

# A run is declared divergent when a weight, output or preactivation is not finite, or when the RMS
# entry of a first-layer row, |v_k| or |lambda_k| exceeds this (all are O(1) in a healthy run).
EXPLODE = 1e6
# Steps per block, fixed per device type so that a run's inputs never depend on the batch size R.
# CPU: 16, 32 and 64 measured equal within noise (lib.bench.engine); CUDA: a guess, not yet measured.
BLOCK_DEFAULT = {"cpu": 32, "cuda": 256}
CACHE_BYTES = 32 << 20                       # CPU: X of one chunk of runs (chunk, n, N) should fit in L3
_INPLACE_FOLD = {"sgn": torch.Tensor.sign_, "tanh": torch.Tensor.tanh_, "relu": torch.Tensor.relu_,
                 "linear": lambda x: x, "erf": lambda x: x.mul_(1.0 / math.sqrt(2.0)).erf_()}


def run_generator(seed: int, run_id: int, stream: int = 0, device="cpu") -> torch.Generator:
    """The generator of run ``run_id``: stream 0 draws its training inputs, stream 1 its test set.

    Seeded from (seed, run_id, stream) only, so a run's inputs do not depend on which runs share its batch.
    """
    state = np.random.SeedSequence([seed, run_id, stream]).generate_state(2, dtype=np.uint64)
    return torch.Generator(device=torch.device(device)).manual_seed(int(state[0] >> np.uint64(1)))


class _Block:
    """Preallocated buffers and the in-place update of one block of at most ``n_max`` steps.

    Shapes: W (R,K,N), v (R,K), Fs = F / sqrt D (1 or R, D, N), Wts = W~ / sqrt D (R,M,D), v_t (R,M);
    C (R,n,D) latent inputs, X (R,n,N), y (R,n), G = X X^T / sqrt N (R,n,n), L (R,n,K) preactivations,
    c (R,n,K) first-layer coefficients. The passes over X run over chunks of ``chunk`` runs so that
    a chunk's X (chunk, n, N) stays in cache between the product that makes it and the two that read it.
    """

    def __init__(self, model: Model, w: Weights, n_max: int, chunk: int | None = None):
        self.model, self.n_max = model, n_max
        self.W, self.v = w.W, w.v
        self.Fs = w.F / math.sqrt(model.D)
        self.Wts = w.W_t / math.sqrt(model.D)
        self.v_t = w.v_t
        R, K, N, D = w.W.shape[0], model.K, model.N, model.D
        if chunk is None:
            fit = CACHE_BYTES // (n_max * N * w.W.element_size())
            chunk = R if w.W.device.type == "cuda" else max(1, min(R, fit))
        self.R, self.chunk = R, chunk
        opts = dict(dtype=w.W.dtype, device=w.W.device)
        self._flat = {k: torch.empty(R * n_max * size, **opts)
                      for k, size in (("C", D), ("X", N), ("G", n_max), ("L", K), ("c", K), ("y", 1))}
        self.fold_ = _INPLACE_FOLD[model.f]
        self.g, self.dg = activation(model.g)

    def buf(self, name: str, n: int) -> torch.Tensor:
        """A contiguous (R, n, ...) view at the start of the preallocated buffer ``name``."""
        last = {"C": self.model.D, "X": self.model.N, "G": n, "L": self.model.K, "c": self.model.K, "y": 1}[name]
        return self._flat[name][:self.R * n * last].view(self.R, n, last)

    def step(self, n: int) -> torch.Tensor:
        """Train on the n latent inputs in ``buf("C", n)``: W, v updated in place (eqs. S7-S8).
        Returns the preactivations L (R,n,K) of the n steps (for the divergence check)."""
        D, N = self.model.D, self.model.N
        C, X, G, L, y = (self.buf(k, n) for k in ("C", "X", "G", "L", "y"))
        inv_sN = 1.0 / math.sqrt(N)
        for r0 in range(0, self.R, self.chunk):
            sl = slice(r0, min(r0 + self.chunk, self.R))
            Cc, Xc = C[sl], X[sl]
            if self.Fs.shape[0] == 1:                                      # one GEMM for a shared F
                torch.mm(Cc.view(-1, D), self.Fs[0], out=Xc.view(-1, N))
            else:
                torch.bmm(Cc, self.Fs[sl], out=Xc)
            self.fold_(Xc)                                                 # X = f(C F / sqrt D), eq. 1
            nu = torch.bmm(Cc, self.Wts[sl].transpose(1, 2))               # (r, n, M)
            torch.bmm(self.g(nu), self.v_t[sl].unsqueeze(2), out=y[sl])    # y = v~ . g(nu), eq. 2
            torch.baddbmm(G[sl], Xc, Xc.transpose(1, 2), beta=0.0, alpha=inv_sN, out=G[sl])
            torch.baddbmm(L[sl], Xc, self.W[sl].transpose(1, 2), beta=0.0, alpha=inv_sN, out=L[sl])
        c = self._loop(G, L, y.squeeze(2), self.buf("c", n))
        for r0 in range(0, self.R, self.chunk):
            sl = slice(r0, min(r0 + self.chunk, self.R))
            self.W[sl].baddbmm_(c[sl].transpose(1, 2), X[sl])              # W += c^T X, eq. S7
        return L

    def _loop(self, G, L, y, c):
        """The sequential part: for s = 0..n-1, lambda_s = L[:, s] is final; compute yhat - y, the
        eq. S7 coefficients c_s = -(lr / sqrt N) v (yhat - y) g'(lambda_s), update v (eq. S8) and add
        c_s (X_s . X_s') / sqrt N to the later preactivations lambda_s'."""
        n, N, v = L.shape[1], self.model.N, self.v
        lr_W, lr_v = -self.model.lr / math.sqrt(N), -self.model.lr / N
        g, dg = self.g, self.dg
        for s in range(n):
            lam = L[:, s]                                                  # (R, K)
            gl = g(lam)
            err = torch.mul(v, gl).sum(1, keepdim=True).sub_(y[:, s:s + 1])  # yhat - y, (R, 1)
            cs = torch.mul(dg(lam), v, out=c[:, s]).mul_(err.mul(lr_W))    # eq. S7 coefficient
            v.addcmul_(gl, err, value=lr_v)                                # eq. S8
            if s + 1 < n:
                L[:, s + 1:].addcmul_(cs.unsqueeze(1), G[:, s, s + 1:].unsqueeze(2))
        return c


def sgd_steps(model: Model, weights: Weights, C: torch.Tensor, *, block: int | None = None,
              chunk: int | None = None) -> Weights:
    """Train ``weights`` in place on the given latent inputs C (R, n, D), one step per row, eqs. S7-S8.

    The batched kernel of :func:`simulate_sgd` without sampling or recording (used by the tests).
    """
    R, n, D = C.shape
    if D != model.D or R != weights.runs:
        raise validate.ParameterError(f"C has shape {tuple(C.shape)}; expected ({weights.runs}, n, {model.D})")
    bl = _Block(model, weights, min(n, block or BLOCK_DEFAULT[C.device.type]), chunk)
    for s0 in range(0, n, bl.n_max):
        m = min(bl.n_max, n - s0)
        bl.buf("C", m).copy_(C[:, s0:s0 + m])
        bl.step(m)
    return weights


def _divergent(W: torch.Tensor, v: torch.Tensor, L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Runs that left the O(1) range in this block: mask (R,), and (R, n) the steps whose preactivations
    were bad."""
    rms = torch.linalg.vector_norm(W, dim=2) / math.sqrt(W.shape[2])       # (R, K)
    bad = ~torch.isfinite(rms).all(1) | (rms > EXPLODE).any(1) | ~torch.isfinite(v).all(1) | (v.abs() > EXPLODE).any(1)
    lam_bad = (~torch.isfinite(L) | (L.abs() > EXPLODE)).any(2)            # (R, n)
    return bad | lam_bad.any(1), lam_bad


def _first_bad_step(lam_bad: torch.Tensor, r: int) -> int:
    """Offset in the block of run r's first bad preactivation (the block length if only its weights are)."""
    steps = torch.nonzero(lam_bad[r])
    return int(steps[0, 0]) if len(steps) else lam_bad.shape[1]


def _divergence_error(model: Model, run_id: int, step: int, v: torch.Tensor, dist=None) -> RuntimeError:
    """The error of a diverged run, naming the likely cause: inputs of infinite variance (``dist.var`` not
    finite, e.g. Lorentz), where one extreme draw throws the weights out at any lr, else a large lr."""
    var = getattr(dist, "var", None)
    heavy = var is not None and not bool(np.all(np.isfinite(np.asarray(var, dtype=float))))
    if heavy:
        cause = (f"The likely cause is the input law: {getattr(dist, 'dist', 'it')!r} is heavy-tailed (infinite "
                 f"variance), so a single extreme input can throw the weights out at any learning rate (lr = "
                 f"{model.lr}); use a law of finite variance, or simulate_sgd(on_divergence='record') to keep "
                 "the other runs.")
    else:
        cause = (f"The likely cause is a learning rate too large for this model (lr = {model.lr}); lower lr. "
                 "(Heavy-tailed inputs, of large or infinite variance, can also make a run diverge.)")
    return RuntimeError(
        f"SGD diverged in run {run_id} at step {step} (t = {step / model.N:.4g}): weights or "
        f"preactivations became non-finite or exceeded {EXPLODE:g} (|v| max {float(v.abs().max()):.3g}). {cause}")


class _Recorder:
    """Order parameters, analytic and numerical eg, and optionally the empirical preactivation moments.

    The test set (P samples per run, drawn with the run's own stream-1 generator) is stored as
    X_test (R,P,N) (int8 for f = sgn, exact), nu_test (R,P,M) and y_test (R,P).
    """

    def __init__(self, model, w, dists, gens, P, empirical, chunk=16):
        self.model, self.P, self.empirical, self.chunk = model, P, empirical, chunk
        self.a = model.abc[0]
        self.rows: dict[str, list] = {k: [] for k in ("Q", "R", "Omega", "Sigma", "v", "eg", "eg_numeric", "Q_emp", "R_emp")}
        if P == 0:
            return
        store = torch.int8 if model.f == "sgn" else w.W.dtype
        R, N, M = w.W.shape[0], model.N, model.M
        self.X = torch.empty(R, P, N, dtype=store, device=w.W.device)
        self.nu = torch.empty(R, P, M, dtype=w.W.dtype, device=w.W.device)
        f, g = fold(model.f), activation(model.g)[0]
        for r in range(R):
            C = dists[r].sample(P, gens[r], device=w.W.device, dtype=w.W.dtype)
            Fr = w.F[0 if w.F.shape[0] == 1 else r]
            self.X[r] = f(C @ Fr / math.sqrt(model.D)).to(store)
            self.nu[r] = C @ w.W_t[r].T / math.sqrt(model.D)
        self.y = (g(self.nu) * w.v_t.unsqueeze(1)).sum(2)                   # (R, P)

    def record(self, w: Weights) -> None:
        model, rows = self.model, self.rows
        op = order_parameters(model, w)
        for k in ("Q", "R", "Omega", "Sigma"):
            rows[k].append(op[k].double().cpu())
        rows["v"].append(w.v.double().cpu().clone())
        rows["eg"].append(eg_analytic(model.g, op["Q"].double(), op["R"].double(), op["T"].double(),
                                      w.v.double(), w.v_t.double()).cpu())
        self.T = op["T"].double().cpu()
        if self.P == 0:
            return
        g = activation(model.g)[0]
        eg, Qe, Re = [], [], []
        for r0 in range(0, w.W.shape[0], self.chunk):
            sl = slice(r0, r0 + self.chunk)
            W = w.W[sl]
            lam = torch.bmm(self.X[sl].to(W.dtype), W.transpose(1, 2)) / math.sqrt(model.N)   # (r, P, K)
            yhat = (g(lam) * w.v[sl].unsqueeze(1)).sum(2)
            eg.append(0.5 * (yhat - self.y[sl]).pow(2).mean(1))
            if self.empirical:                                              # lambda-bar removes the mean a sum_i W_ki / sqrt N
                lb = lam - self.a * W.sum(2).unsqueeze(1) / math.sqrt(model.N)
                Qe.append(torch.bmm(lb.transpose(1, 2), lb) / self.P)
                Re.append(torch.bmm(lb.transpose(1, 2), self.nu[sl]) / self.P)
        rows["eg_numeric"].append(torch.cat(eg).double().cpu())
        if self.empirical:
            rows["Q_emp"].append(torch.cat(Qe).double().cpu())
            rows["R_emp"].append(torch.cat(Re).double().cpu())

    def trajectory(self, t: np.ndarray, meta: dict) -> Trajectory:
        arr = {k: torch.stack(x, 1).numpy() for k, x in self.rows.items() if x}
        return Trajectory(t=t, T=self.T.numpy(), meta=meta, **arr)


def _check_inputs(inputs, runs: int, D: int) -> list:
    dists = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs] * runs
    if len(dists) != runs:
        raise validate.ParameterError(f"inputs has {len(dists)} distributions; expected one or runs={runs}")
    for d in dists:
        if not callable(getattr(d, "sample", None)):
            raise validate.ParameterError(f"inputs={d!r} has no sample(n, generator, device, dtype) method")
        if getattr(d, "D", D) != D:
            raise validate.ParameterError(f"inputs has D={d.D} but the model has D={D}")
    return dists


def simulate_sgd(model: Model, inputs, *, runs: int = 1, t_max: float = 100.0, seed: int = 0,
                 weights: Weights | None = None, points: int = 60, test_samples: int = 1000,
                 record_empirical: bool = False, dtype: torch.dtype = torch.float32, device=None,
                 block: int | None = None, run_ids: Sequence[int] | None = None, share_F: bool = True,
                 share_teacher: bool = True, share_student: bool = False, cuda_graphs: bool | None = None,
                 sample_threads: int | None = None, on_divergence: str = "raise",
                 progress: bool = True) -> Trajectory:
    """Online SGD of ``runs`` independent runs up to t = t_max (t = steps / N), recorded at
    ``record_steps(t_max, N, points)``.

    inputs        one distribution of C for all runs or a list of ``runs`` of them (objects with
                  ``sample(n, generator, device, dtype) -> (n, D)``, e.g. ``lib.core.inputs.make_distribution``).
    weights       initial weights (F (1|R,D,N), W (R,K,N), v (R,K), W~ (R,M,D), v~ (R,M)); default
                  ``init_weights(model, runs, seed, share_F=..., ...)``. Not modified.
    run_ids       identity of each run for seeding its inputs (default 0..runs-1): run r uses
                  ``run_generator(seed, run_ids[r], 0)`` for training and stream 1 for its test set, so
                  ``run_ids=[3]`` alone reproduces run 3 of a batch (given the same block).
    test_samples  P test samples per run for eg_numeric (and Q_emp, R_emp when ``record_empirical``);
                  memory R P N bytes for f = sgn, times the dtype size otherwise. 0 disables them.
    block         steps per block (default ``BLOCK_DEFAULT[device type]``).
    sample_threads  CPU threads drawing the runs' inputs in parallel (default torch's thread count).
    cuda_graphs   CUDA only: replay the block's kernels as captured CUDA graphs (default True).

    Returns a :class:`Trajectory`: Q, Omega, Sigma (R,times,K,K), R (R,times,K,M), v (R,times,K),
    eg (analytic, eq. S48) and eg_numeric (R,times), T (R,M,M), optionally Q_emp, R_emp; numpy float64.
    on_divergence "raise" (default): RuntimeError naming the run and step when a run diverges (its weights,
                  output or preactivations leave the O(1) range, see EXPLODE). "record": that run is stopped
                  (student weights set to zero), its records from the divergence on are NaN, and
                  ``meta["t_diverged"]`` (R,) holds the time it diverged (NaN for runs that did not); the
                  other runs are unaffected (every run is computed independently).
    """
    if not isinstance(model, Model):
        raise validate.ParameterError(f"model={model!r} must be a lib.core.model.Model")
    runs = validate.integer("runs", runs, 1)
    t_max = validate.real("t_max", t_max, positive=True)
    seed = validate.integer("seed", seed, 0)
    points = validate.integer("points", points, 1)
    P = validate.integer("test_samples", test_samples, 0)
    if record_empirical and P < 2:
        raise validate.ParameterError(f"record_empirical needs test_samples >= 2, got {P}")
    if dtype not in (torch.float32, torch.float64):
        raise validate.ParameterError(f"dtype={dtype} must be torch.float32 or torch.float64")
    dev = resolve(device)
    n_max = validate.integer("block", block if block is not None else BLOCK_DEFAULT[dev.type], 1)
    run_ids = list(range(runs)) if run_ids is None else [validate.integer("run_ids", r, 0) for r in run_ids]
    if len(run_ids) != runs:
        raise validate.ParameterError(f"run_ids has {len(run_ids)} entries; expected runs={runs}")
    dists = _check_inputs(inputs, runs, model.D)
    validate.choice("on_divergence", on_divergence, ("raise", "record"))
    t_div = np.full(runs, np.nan)                                          # on_divergence="record"
    if weights is None:
        weights = init_weights(model, runs, seed, share_F=share_F, share_teacher=share_teacher,
                               share_student=share_student)
    if weights.runs != runs or weights.W.shape[1:] != (model.K, model.N) or weights.W_t.shape[1:] != (model.M, model.D):
        raise validate.ParameterError(f"weights do not match the model and runs={runs}")
    w = weights.to(device=dev, dtype=dtype)
    dead = torch.zeros(runs, dtype=torch.bool, device=dev)
    if w.W.data_ptr() == weights.W.data_ptr() or w.v.data_ptr() == weights.v.data_ptr():
        w = w.clone()                                                      # never train the caller's tensors

    gens = [run_generator(seed, r, 0, dev) for r in run_ids]
    rec = _Recorder(model, w, dists, [run_generator(seed, r, 1, dev) for r in run_ids], P, record_empirical)
    bl = _Block(model, w, n_max)
    use_graphs = dev.type == "cuda" and (cuda_graphs is None or cuda_graphs)
    runner = _GraphRunner(bl) if use_graphs else None
    steps = record_steps(t_max, model.N, points)
    start = time.perf_counter()
    rec.record(w)
    from tqdm.auto import tqdm

    threads = torch.get_num_threads() if sample_threads is None else validate.integer("sample_threads", sample_threads, 1)
    pool = ThreadPoolExecutor(threads) if threads > 1 and runs > 1 and dev.type == "cpu" else None
    with pool or contextlib.nullcontext(), \
            tqdm(total=int(steps[-1]), unit="step", disable=not progress, desc=f"SGD x{runs}") as bar:
        done = 0
        for target in steps[1:]:
            while done < target:
                n = int(min(n_max, target - done))
                C = bl.buf("C", n)
                sample = lambda r: C[r].copy_(dists[r].sample(n, gens[r], device=dev, dtype=dtype))
                if pool is None:
                    for r in range(runs):
                        sample(r)
                else:                                                      # one run per task: the same
                    list(pool.map(sample, range(runs)))                    # draws whatever the thread
                L = runner(n) if runner else bl.step(n)
                bad, lam_bad = _divergent(w.W, w.v, L)
                if bool(bad.any()):
                    if on_divergence == "raise":
                        r = int(torch.nonzero(bad)[0, 0])
                        raise _divergence_error(model, run_ids[r], done + _first_bad_step(lam_bad, r), w.v[r],
                                                dists[r])
                    for r in torch.nonzero(bad & ~dead)[:, 0].tolist():
                        t_div[r] = (done + _first_bad_step(lam_bad, r)) / model.N
                    dead |= bad
                if on_divergence == "record" and bool(dead.any()):   # a stopped run keeps zero student
                    w.W[dead] = 0.0                                  # weights (finite, and cheap)
                    w.v[dead] = 0.0
                done += n
                bar.update(n)
            rec.record(w)
    wall = time.perf_counter() - start
    meta = dict(model=model.asdict(), runs=runs, seed=seed, t_max=t_max, block=n_max, dtype=str(dtype),
                device=str(dev), test_samples=P, wall_s=wall, run_steps_per_s=runs * int(steps[-1]) / wall,
                inputs=[_describe(d) for d in dists[:1]] if not isinstance(inputs, (list, tuple))
                else [_describe(d) for d in dists])
    traj = rec.trajectory(steps / model.N, meta)
    if on_divergence == "record":
        traj = _blank_after_divergence(traj, t_div)
    return traj


def _blank_after_divergence(traj: Trajectory, t_div: np.ndarray) -> Trajectory:
    """NaN every record of a diverged run from its divergence time on; t_diverged into the metadata."""
    for name in ("Q", "R", "Omega", "Sigma", "v", "eg", "eg_numeric", "Q_emp", "R_emp"):
        x = getattr(traj, name)
        if x is not None:
            for r in np.flatnonzero(np.isfinite(t_div)):
                x[r, traj.t >= t_div[r]] = np.nan
    return traj.with_meta(t_diverged=t_div)


def _describe(d) -> dict | str:
    if all(hasattr(d, k) for k in ("dist", "params", "standardize", "seed")):
        return dict(dist=d.dist, params=dict(d.params), standardize=d.standardize, seed=d.seed)
    return type(d).__name__   # a sampler without those fields (e.g. a KDE): its name, not its arrays


class _GraphRunner:
    """CUDA only: replays one captured CUDA graph per block length (the step loop is hundreds of small
    kernels). A length is run eagerly the first time (warm-up), captured the second time, replayed after."""

    def __init__(self, bl: _Block):
        self.bl, self.graphs, self.seen, self.L = bl, {}, {}, {}

    def __call__(self, n: int) -> torch.Tensor:
        bl = self.bl
        if n in self.graphs:
            self.graphs[n].replay()
            return self.L[n]
        self.seen[n] = self.seen.get(n, 0) + 1
        if self.seen[n] == 1:                                              # warm-up on a side stream
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                L = bl.step(n)
            torch.cuda.current_stream().wait_stream(s)
            return L
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self.L[n] = bl.step(n)
        self.graphs[n] = graph
        graph.replay()                                                     # capture does not execute
        return self.L[n]


@cached(version=1)
def simulate_sgd_cached(model: Model, dist: str = "gaussian", params: dict | None = None, *,
                        standardize: bool = False, dist_seed: int = 0, runs: int = 1, t_max: float = 100.0,
                        seed: int = 0, points: int = 60, test_samples: int = 1000,
                        record_empirical: bool = False, dtype: str = "float32", device: str | None = None,
                        block: int | None = None, progress: bool = True) -> Trajectory:
    """:func:`simulate_sgd` with JSON-describable arguments, cached on disk (lib.core.cache).

    All runs share one input distribution ``make_distribution(dist, D, seed=dist_seed,
    standardize=standardize, **params)``; dtype is "float32" or "float64".
    """
    from .inputs import make_distribution

    validate.choice("dtype", dtype, ("float32", "float64"))
    d = make_distribution(dist, model.D, seed=dist_seed, standardize=standardize, **(params or {}))
    return simulate_sgd(model, d, runs=runs, t_max=t_max, seed=seed, points=points, test_samples=test_samples,
                        record_empirical=record_empirical, dtype=getattr(torch, dtype), device=device,
                        block=block, progress=progress)
