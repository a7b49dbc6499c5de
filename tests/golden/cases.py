"""Golden regression cases: one tiny, seeded call of every ``@cached`` function in ``lib``.

``CASES`` maps a case name (the cached function's name) to a :class:`Case`; calling a case runs the function
on its tiny input with every cache bypassed and returns a JSON-able summary of the result
(:func:`summarize`). ``tests/golden/make_golden.py`` writes the summaries to ``tests/golden/<name>.json`` and
``tests/test_golden.py`` recomputes them and compares. The inputs are defined here only.

Bypassing the cache: the outer call gets ``use_cache=False``; nested cached calls (e.g. ``fit_pseudo_real``
inside ``corrected_constants``) are recomputed too, because ``HMM_NO_CACHE=1`` is set for the duration of the
call, and whatever the cache writes goes to a temporary ``HMM_CACHE_DIR``. ``HMM_DEVICE=cpu`` and one torch
thread make the numbers independent of the machine's accelerator and core count.

Precision: ``Case.float32`` lists (fnmatch patterns over summary paths) what is computed in float32 (the SGD
engine's default dtype where the cached function takes no dtype); those leaves, and every array stored as
float32, are compared at rtol 1e-5 / atol 1e-7, everything else at rtol 1e-9 / atol 1e-12.

Keep every ``lib`` import below at module top, one line per module, ``from lib.<module> import <names>``,
so that a refactor that moves modules can rewrite them mechanically.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.measures.compare import Comparison, compare, ode_reference  # noqa: E402
from lib.measures.equivalence import EquivalenceCheck, equivalence_check  # noqa: E402
from lib.core.model import Model  # noqa: E402
from lib.studies.ode_vs_sgd import conventions, gaussian_cell  # noqa: E402
from lib.core.pseudo_real import PseudoRealParams, TeacherParams, corrected_constants, fit_pseudo_real, pseudo_teacher_study, train_pseudo_teacher  # noqa: E402,E501
from lib.studies.gaussian_mixtures import KLStudy, kl_study  # noqa: E402
from lib.studies.mixture_dynamics import Setup, sweep  # noqa: E402
from lib.studies.universality import Law, comparison, guarded_batch, standardization_scale  # noqa: E402
from lib.studies.pseudo_real import MnistRun, fit_summary, input_moments, mnist_dynamics, teacher_field_summary  # noqa: E402,E501
from lib.core.sgd import simulate_sgd_cached  # noqa: E402
from lib.core.shapes import GaussianLaw, MomentLaw, StudentT  # noqa: E402
from lib.studies.beyond import mean_ode_reference, shape_batch  # noqa: E402
from lib.studies.forensics import PairSetup, binned_ode, spike_pair  # noqa: E402
from lib.studies.forensics_fields import field_moments  # noqa: E402

GOLDEN_DIR = Path(__file__).resolve().parent
TOLERANCE = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-7)}

# ------------------------------------------------------------------------------------------ summaries
FULL_MAX = 100          # arrays with at most this many entries are stored in full
EDGE = 5                # first / last values stored of a larger array
# Fields that are not numbers of the result: timings, run metadata, and echoes of the input parameters.
SKIP = frozenset({"wall_s", "meta", "params", "setup", "comparison", "run"})


def _array_summary(x: np.ndarray) -> dict:
    dtype = str(x.dtype)
    if x.dtype == bool:
        x = x.astype(np.int64)
    out: dict[str, Any] = {"dtype": dtype, "shape": list(x.shape)}
    flat = x.reshape(-1)
    if flat.size <= FULL_MAX:
        out["values"] = flat.tolist()
        return out
    f = flat.astype(np.float64)
    ok = np.isfinite(f)
    g = f[ok]
    weights = np.arange(1, flat.size + 1, dtype=np.float64)[ok] / flat.size
    out.update(sum=float(g.sum()), sumsq=float((g * g).sum()), wsum=float((weights * g).sum()),
               min=float(g.min()) if g.size else math.nan, max=float(g.max()) if g.size else math.nan,
               nonfinite=int((~ok).sum()), first=f[:EDGE].tolist(), last=f[-EDGE:].tolist())
    return out


def summarize(obj: Any) -> Any:
    """A JSON-able image of a result: dataclasses and dicts -> dicts (SKIP fields dropped, keys as strings),
    lists and tuples -> lists, numpy arrays and tensors -> :func:`_array_summary`, numbers -> numbers."""
    if isinstance(obj, torch.Tensor):
        return _array_summary(obj.detach().cpu().numpy())
    if isinstance(obj, np.ndarray):
        return _array_summary(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: summarize(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in SKIP}
    if isinstance(obj, dict):
        return {str(k): summarize(v) for k, v in obj.items() if str(k) not in SKIP}
    if isinstance(obj, (list, tuple)):
        return [summarize(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"summarize: no rule for {type(obj).__name__}")


def leaves(summary: Any, path: str = "") -> dict[str, Any]:
    """Flatten a summary to {path: leaf}: paths like ``sgd.Q.values``, ``outcomes[1].tlog.eg.values``;
    a leaf is a number, string, bool, None or a list of numbers."""
    if isinstance(summary, dict):
        out = {}
        for k, v in summary.items():
            out.update(leaves(v, f"{path}.{k}" if path else k))
        return out
    if isinstance(summary, list) and any(isinstance(v, (dict, list)) for v in summary):
        out = {}
        for i, v in enumerate(summary):
            out.update(leaves(v, f"{path}[{i}]"))
        return out
    return {path: summary}


# ------------------------------------------------------------------------------------------ cases
@contextlib.contextmanager
def isolated():
    """No cache read anywhere, cache writes into a temporary folder, CPU, one torch thread."""
    keys = ("HMM_NO_CACHE", "HMM_CACHE_DIR", "HMM_DEVICE")
    saved = {k: os.environ.get(k) for k in keys}
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="golden-cache-") as tmp:
        os.environ.update(HMM_NO_CACHE="1", HMM_CACHE_DIR=tmp, HMM_DEVICE="cpu")
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@dataclass(frozen=True)
class Case:
    """One cached function on one tiny input. ``call(fn)`` runs it (``fn`` is the cached function, to be
    called with ``use_cache=False``); ``float32``: fnmatch patterns of the summary paths computed in float32
    (("*",): all of them; (): none)."""

    function: Callable
    call: Callable[[Callable], Any]
    float32: tuple = ()
    note: str = ""

    @property
    def name(self) -> str:
        return self.function.__name__

    def result(self) -> Any:
        with isolated():
            return self.call(self.function)

    def __call__(self) -> Any:
        """The summary of the result (what the golden file holds)."""
        return summarize(self.result())

    def precision(self, path: str, flat: dict) -> str:
        """"float32" or "float64": the tolerance class of the leaf ``path`` of the flattened summary ``flat``
        (float32 when the path matches ``self.float32`` or the leaf belongs to an array stored as float32)."""
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if flat.get(f"{parent}.dtype") in ("float32", "float16", "bfloat16"):
            return "float32"
        return "float32" if any(fnmatch.fnmatchcase(path, p) for p in self.float32) else "float64"


# Tiny inputs. Model sizes N = 20..40, D = 10..20 except where lib fixes them (pseudo-real: N = 784 pixels).
ERF = Model(N=20, D=10, K=2, M=2, lr=0.2, f="sgn", g="erf")
RELU = Model(N=20, D=10, K=2, M=2, lr=0.2, f="sgn", g="relu")
PSEUDO = PseudoRealParams(P=50, D=10, f="erf", iterations=10, history_size=5, lambda_S=0.5, seed=0)
TEACHER = TeacherParams(M=2, g="erf", iterations=10, train_fraction=0.6, n_teachers=2, n_random=5, seed=0)
LAWS = (Law("Gaussian", "gaussian"), Law("Laplace", "laplace", (("scale", 1.0),)),
        Law("Lorentz", "lorentz"))

_cases = [
    Case(kl_study,
         lambda fn: fn(KLStudy(D=4, alphas=(0.0, 3.0), ms=(1, 2), n_mixtures=2, knn_samples=200,
                               knn_samples_1d=200, seed=1), use_cache=False),
         note="float64 (D = 4 <= 8: k-NN by exact k-d tree)"),
    Case(ode_reference,
         lambda fn: fn(RELU, 0, 5.0, 6, 0.01, use_cache=False),
         note="float64 ODE, ReLU (quadrature of the four-point integral)"),
    Case(compare,
         lambda fn: fn(Comparison(model=ERF, dist="gmm", params=(("alpha", 2.0), ("m", 3)), standardize=True,
                                  dist_seed=1, runs=2, t_max=5.0, points=6, seed=0, dt=0.01, test_samples=30),
                       use_cache=False),
         float32=("sgd.*", "tlog.*"),
         note="SGD in float32 (Comparison has no dtype), ODE float64"),
    Case(equivalence_check,
         lambda fn: fn(EquivalenceCheck(N=20, ratio=0.5, K=2, M=2, f="sgn", samples=500, seed=0), chunk=200,
                       use_cache=False),
         note="float64; lambda_sample is stored as float32 (compared at float32 tolerance by its dtype)"),
    Case(guarded_batch,
         lambda fn: fn(tuple(comparison(RELU, law, runs=2, t_max=5.0, points=5, seed=0, standardize_samples=200,
                                        test_samples=20) for law in LAWS), use_cache=False),
         float32=("*.result.sgd.*", "*.result.tlog.*", "*.tlog.*", "*.t_diverged.*", "*.survivors.*"),
         note="SGD in float32 (no dtype parameter), ODE float64; laws Gaussian, Laplace, Lorentz"),
    Case(standardization_scale,
         lambda fn: fn(Law("Pareto", "pareto", (("shape", 3.0),)), 10, (10, 100), seed=0, use_cache=False),
         note="float64"),
    Case(fit_pseudo_real,
         lambda fn: fn(PSEUDO, use_cache=False),
         note="float64 L-BFGS, P = 50, D = 10, N = 784 (MNIST pixels), 10 iterations"),
    Case(corrected_constants,
         lambda fn: fn(PSEUDO, "kde", n=200, seed=0, use_cache=False),
         note="float64"),
    Case(train_pseudo_teacher,
         lambda fn: fn(PSEUDO, TEACHER, 1, use_cache=False),
         note="float64"),
    Case(pseudo_teacher_study,
         lambda fn: fn(PSEUDO, TEACHER, use_cache=False),
         note="float64"),
    Case(simulate_sgd_cached,
         lambda fn: fn(ERF, "gmm", {"alpha": 1.5, "m": 2}, standardize=True, dist_seed=2, runs=2, t_max=5.0,
                       seed=3, points=6, test_samples=20, record_empirical=True, dtype="float64",
                       progress=False, use_cache=False),
         note="float64 SGD (dtype='float64')"),
    Case(gaussian_cell,
         lambda fn: fn(RELU, 1, 2, 5.0, points=6, dt=0.01, sgd_dtype="float64", use_cache=False),
         note="float64 SGD (sgd_dtype='float64') and ODE"),
    Case(conventions,
         lambda fn: fn(ERF, 0, 5.0, points=6, dt=0.01, rk4_dt=0.05, use_cache=False),
         note="float64 ODE (Euler with T~, RK4)"),
    Case(sweep,
         lambda fn: fn(Setup(g="erf", f="sgn", N=20, D=10, runs=2, t_max=5.0, seed=0, points=5), [2], [0.0, 3.0],
                       1, True, "shared", progress=False, use_cache=False),
         float32=("tlog.*", "scale.*", "spread.*", "vgap.*"),
         note="SGD in float32 (no dtype parameter): tlog, scale, spread, vgap; t, kl, kl_err float64"),
    Case(input_moments,
         lambda fn: fn(PSEUDO, "standardized", n=200, seed=0, use_cache=False),
         note="float64 (standardised KDE; the 'kde' branch is corrected_constants)"),
    Case(mnist_dynamics,
         lambda fn: fn(MnistRun(fit=PSEUDO, teacher=TEACHER, teacher_index=1, inputs="kde", K=2, runs=2, t_max=0.3,
                                points=4, seed=0, test_samples=20, moment_samples=200),
                       progress=False, use_cache=False),
         float32=("sgd.*",),
         note="SGD in float32 (no dtype parameter), N = 784; ODE, constants and moments float64"),
    Case(teacher_field_summary,
         lambda fn: fn(PSEUDO, TEACHER, 0, "kde", n=200, seed=0, bins=8, use_cache=False),
         note="float64"),
    Case(fit_summary,
         lambda fn: fn(PSEUDO, n_show=2, seed=0, use_cache=False),
         note="float64"),
    Case(shape_batch,
         lambda fn: fn(RELU, (GaussianLaw(), MomentLaw(1.0, 2.0), StudentT(3.0)), 2, 2.0, points=5, seed=0,
                       use_cache=False),
         float32=("tlog.*",),
         note="SGD in float32 (no dtype parameter), ODE float64; laws of lib.core.shapes"),
    Case(mean_ode_reference,
         lambda fn: fn(Model(N=20, D=10, K=2, M=2, lr=0.2, f="relu", g="relu"), 0, 2.0, 5, use_cache=False),
         note="float64 ODE with the a-term (quasi Monte Carlo averages, fixed scrambled Sobol points)"),
    Case(binned_ode,
         lambda fn: fn(Model(N=20, D=10, K=2, M=2, lr=0.2, f="sgn", g="erf"), (0,), 5, 1.0, (0.0, 0.5, 1.0),
                       use_cache=False),
         note="float64 ODE over 5 Marchenko-Pastur bins"),
    Case(spike_pair,
         lambda fn: fn(PairSetup(g="erf", N=40, D=20, runs=2, t_max=0.5, points=5), (3.0,), 2, use_cache=False),
         float32=("*",),
         note="SGD in float32: shared-label mixture, its matched Gaussian and the floor"),
    Case(field_moments,
         lambda fn: fn("mixture, one label", 40, samples=500, seed=0, use_cache=False),
         note="float64 moments of the preactivations under the one-label mixture"),
]

CASES: dict[str, Case] = {c.name: c for c in _cases}
assert len(CASES) == len(_cases), "two cases for one function"


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"
