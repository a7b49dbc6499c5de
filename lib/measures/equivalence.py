"""The Gaussian equivalence property (GEP) at finite N, checked three ways (paper sec. II C).

For Gaussian latent C ~ N(0, I_D), U = C F / sqrt D is exactly Gaussian with covariance
Rho = F^T F / D (N x N). The covariance of the centred student preactivations
lambda-bar = W (f(U) - a) / sqrt N and of the teacher's nu = W~ C / sqrt D therefore has an
*exact* finite-N value from the two-point kernel E[f(U_i) f(U_j)]. We compare

* the GEP prediction (eqs. 9-11): Q = (c - a^2 - b^2) Omega + b^2 Sigma, R = b S W~^T / D, T,
* the exact finite-N covariance from the kernel (f in sgn, erf, relu, linear),
* a Monte Carlo estimate from samples of C (any f),

and the higher cumulants of the preactivations (skewness, excess kurtosis), which vanish for a
Gaussian.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..core.functions import FOLDS, fold, fold_constants
from ..core.model import Model, init_weights
from ..core.order_params import order_parameters

EXACT_FOLDS = ("sgn", "erf", "relu", "linear")


def _kernel(f: str, s: torch.Tensor, rho: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For U ~ N(0, rho) with variances s: (E[f(U_i) f(U_j)], E[f(U_i)], E[U_i f(U_i)] / s_i)."""
    si, sj = s[:, None], s[None, :]
    if f == "sgn":
        ff = (2 / math.pi) * torch.asin(torch.clamp(rho / torch.sqrt(si * sj), -1, 1))
        return ff, torch.zeros_like(s), torch.sqrt(2 / (math.pi * s))
    if f == "erf":
        ff = (2 / math.pi) * torch.asin(rho / torch.sqrt((1 + si) * (1 + sj)))
        return ff, torch.zeros_like(s), math.sqrt(2 / math.pi) / torch.sqrt(1 + s)
    if f == "relu":
        cos = torch.clamp(rho / torch.sqrt(si * sj), -1, 1)
        ff = (torch.sqrt(torch.clamp(si * sj - rho * rho, min=0)) + rho * (math.pi / 2 + torch.asin(cos))) / (2 * math.pi)
        return ff, torch.sqrt(s / (2 * math.pi)), torch.full_like(s, 0.5)
    if f == "linear":
        return rho.clone(), torch.zeros_like(s), torch.ones_like(s)
    raise validate.ParameterError(f"f={f!r} has no exact kernel; choose one of {EXACT_FOLDS}")


def exact_covariance(model: Model, F: torch.Tensor, W: torch.Tensor, W_t: torch.Tensor) -> dict[str, np.ndarray]:
    """Exact E[lambda-bar lambda-bar^T] (K x K) and E[lambda-bar nu^T] (K x M) for Gaussian C.

    F (D, N), W (K, N), W_t (M, D), float64.
    """
    a, _, _ = fold_constants(model.f)
    N, D = model.N, model.D
    rho = F.T @ F / D                                   # (N, N) covariance of U
    s = torch.diagonal(rho).clone()
    ff, mean_f, ufu_over_s = _kernel(model.f, s, rho)
    ff.diagonal().copy_(_diag_second_moment(model.f, s))
    cov = ff - a * (mean_f[:, None] + mean_f[None, :]) + a * a   # E[(f_i - a)(f_j - a)]
    Q = W @ cov @ W.T / N
    # E[(f(U_i) - a) C_r] = E[U_i f(U_i)] / s_i * Cov(U_i, C_r),  Cov(U_i, C_r) = F_ri / sqrt D
    cross = (F * ufu_over_s[None, :]) / math.sqrt(D)    # (D, N)
    R = W @ cross.T @ W_t.T / math.sqrt(N * D)
    return {"Q": Q.numpy(), "R": R.numpy()}


def _diag_second_moment(f: str, s: torch.Tensor) -> torch.Tensor:
    """E[f(U)^2] for U ~ N(0, s)."""
    if f == "sgn":
        return torch.ones_like(s)
    if f == "erf":
        return (2 / math.pi) * torch.asin(s / (1 + s))
    if f == "relu":
        return s / 2
    return s.clone()


@dataclass(frozen=True)
class EquivalenceCheck:
    """Parameters of one finite-N check of the GEP."""

    N: int = 1000
    ratio: float = 0.5        # D / N
    K: int = 2
    M: int = 2
    f: str = "sgn"
    samples: int = 20_000     # Monte Carlo samples of C
    seed: int = 0

    def __post_init__(self):
        validate.integer("N", self.N, 2)
        validate.real("ratio", self.ratio, positive=True)
        validate.integer("samples", self.samples, 10)
        validate.choice("f", self.f, FOLDS)

    @property
    def model(self) -> Model:
        return Model(N=self.N, D=max(1, round(self.ratio * self.N)), K=self.K, M=self.M, f=self.f)


@cached(version=1)
def equivalence_check(check: EquivalenceCheck, chunk: int = 2000) -> dict[str, np.ndarray]:
    """GEP, exact and Monte Carlo covariances of (lambda-bar, nu) for one random draw of F, W, W~.

    Returns Q_gep, R_gep, T, Q_exact, R_exact (sgn/erf/relu/linear only), Q_mc, R_mc, T_mc,
    skew and exkurt of each preactivation (K + M,), and a sample of lambda-bar_0 for a histogram.
    """
    model = check.model
    a, _, _ = fold_constants(model.f)
    w = init_weights(model, runs=1, seed=check.seed)
    F, W, W_t = w.F[0], w.W[0], w.W_t[0]
    out = {k: v[0].numpy() for k, v in order_parameters(model, w).items()}
    out = {"Q_gep": out["Q"], "R_gep": out["R"], "T": out["T"]}
    if model.f in EXACT_FOLDS:
        exact = exact_covariance(model, F, W, W_t)
        out.update(Q_exact=exact["Q"], R_exact=exact["R"])
    gen = torch.Generator().manual_seed(10_000 + check.seed)
    f = fold(model.f)
    pre = []
    for start in range(0, check.samples, chunk):
        n = min(chunk, check.samples - start)
        C = torch.randn((n, model.D), generator=gen, dtype=torch.float64)
        X = f(C @ F / math.sqrt(model.D))
        lam_bar = (X - a) @ W.T / math.sqrt(model.N)
        nu = C @ W_t.T / math.sqrt(model.D)
        pre.append(torch.cat([lam_bar, nu], dim=1))
    z = torch.cat(pre).numpy()                           # (samples, K + M)
    cov = z.T @ z / len(z)                               # means are 0 by construction
    K = model.K
    out.update(Q_mc=cov[:K, :K], R_mc=cov[:K, K:], T_mc=cov[K:, K:])
    zc = z - z.mean(axis=0)
    m2 = (zc ** 2).mean(axis=0)
    out["skew"] = (zc ** 3).mean(axis=0) / m2 ** 1.5
    out["exkurt"] = (zc ** 4).mean(axis=0) / m2 ** 2 - 3.0
    out["lambda_sample"] = z[: min(len(z), 20_000), 0].astype(np.float32)
    out["lambda_var"] = np.array(out["Q_gep"][0, 0])
    return out
