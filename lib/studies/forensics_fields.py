"""Property V.4 (eqs. 20-22 of 000) and eq. 24 measured directly on samples of the preactivations.

For fixed weights (F, student W, teacher W~ from ``init_weights``) and a latent law P standardised per coordinate,
draw C ~ P and form the local fields lambda = W f(C F / sqrt D) / sqrt N (K), nu = W~ C / sqrt D (M). The Gaussian
equivalence property predicts their covariance from the weights alone (Goldt et al. 2020; eqs. S39-S44 of 001):

    Q = (c - a^2 - b^2) Omega + b^2 Sigma,   R = (b / D) S W~^T,   T = W~ W~^T / D,

and eq. 24 (000; eq. 26 of 001) that E[g(lambda_k) g(nu_n)] equals its Gaussian value I2(g; Q_kk, R_kn, T_nn).
:func:`field_moments` estimates both on ``samples`` draws (in batches, whose scatter gives the standard errors)
and returns the deviations from the prediction; :func:`field_study` repeats it over laws and sizes N (D = N /
ratio), always with the same seed, so the laws at one N share their weights. The deviation of the Gaussian law
itself is the finite-size error of the linearisation; a non-Gaussian law adds its own correction on top.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..core.device import resolve
from ..core.functions import activation, fold
from ..core.inputs import make_distribution
from ..core.integrals import I2
from ..core.model import Model, init_weights
from ..core.order_params import order_parameters

# The laws of Table 1 (000) with our parameters (lib.core.inputs), and the two mixtures at a large spread.
LAWS: dict[str, tuple[str, dict]] = {
    "Gaussian": ("gaussian", {}),
    "uniform": ("uniform", {}),
    "beta (arcsine)": ("beta", {"preset": "beta1"}),
    "beta (skewed)": ("beta", {"preset": "beta2"}),
    "Poisson": ("poisson", {}),
    "Laplace": ("laplace", {}),
    "Pareto": ("pareto", {}),
    "mixture, per coordinate": ("gmm", {"alpha": 9.0, "m": 2, "variant": "coordinate"}),
    "mixture, one label": ("gmm", {"alpha": 9.0, "m": 2, "variant": "shared"}),
    "Lorentz": ("lorentz", {}),
}
BATCHES = 20


@dataclass
class FieldMoments:
    """Measured against predicted moments of (lambda, nu) for one law and N. ``cov`` (K+M, K+M) measured,
    ``cov_se`` its standard error, ``pred`` the Gaussian-equivalent prediction; ``gg`` (g -> (K, M)) measured
    E[g(lambda_k) g(nu_n)], ``gg_se``, ``gg_pred``."""

    law: str
    N: int
    D: int
    samples: int
    cov: np.ndarray
    cov_se: np.ndarray
    pred: np.ndarray
    gg: dict = field(default_factory=dict)
    gg_se: dict = field(default_factory=dict)
    gg_pred: dict = field(default_factory=dict)
    gg_scale: dict = field(default_factory=dict)

    def deviation(self) -> tuple[float, float]:
        """(max over entries of |measured - predicted| / sqrt(pred_ii pred_jj), the same for the standard error
        at that entry): the error of Property V.4 relative to the fields' scale."""
        s = np.sqrt(np.outer(np.diag(self.pred), np.diag(self.pred)))
        rel = np.abs(self.cov - self.pred) / s
        i = np.unravel_index(np.argmax(rel), rel.shape)
        return float(rel[i]), float(self.cov_se[i] / s[i])

    def gg_deviation(self, g: str) -> tuple[float, float]:
        """(max over (k, n) of |measured - predicted| E[g g] relative to sqrt(E[g(lambda)^2] E[g(nu)^2]) under the
        prediction, its standard error there): the error of eq. 24."""
        scale = self.gg_scale[g]
        rel = np.abs(self.gg[g] - self.gg_pred[g]) / scale
        i = np.unravel_index(np.argmax(rel), rel.shape)
        return float(rel[i]), float(self.gg_se[g][i] / scale[i])


@cached(version=1)
def field_moments(law: str, N: int, ratio: float = 2.0, samples: int = 20_000, seed: int = 0,
                  activations: tuple = ("relu", "erf")) -> FieldMoments:
    """Moments of (lambda, nu) under ``law`` (a key of :data:`LAWS`, standardised with sample estimates as in the
    SGD runs) at input size N and D = N / ratio, K = M = 2, f = sgn, weights ``init_weights(seed)``."""
    validate.choice("law", law, LAWS)
    N = validate.integer("N", N, 2)
    D = max(1, int(round(N / validate.real("ratio", ratio, positive=True))))
    samples = validate.integer("samples", samples, BATCHES * 2)
    model = Model(N=N, D=D, K=2, M=2, f="sgn", g="relu")
    w = init_weights(model, runs=1, seed=seed)
    op = order_parameters(model, w)
    K, M = 2, 2
    pred = np.zeros((K + M, K + M))
    pred[:K, :K], pred[:K, K:], pred[K:, K:] = op["Q"][0].numpy(), op["R"][0].numpy(), op["T"][0].numpy()
    pred[K:, :K] = pred[:K, K:].T
    dist_name, params = LAWS[law]
    dist = make_distribution(dist_name, D, seed=seed, standardize=True, **params)
    dev = resolve(None)                                         # the default device (a GPU where there is one)
    gen = torch.Generator(dev).manual_seed(seed + 1)
    F, W, Wt = (x[0].to(dev) for x in (w.F, w.W, w.W_t))
    fsgn = fold("sgn")
    per = samples // BATCHES
    covs, ggs = [], {g: [] for g in activations}
    with torch.no_grad():
        for _ in range(BATCHES):
            C = dist.sample(per, gen, dev, dtype=torch.float64)
            lam = fsgn(C @ F / math.sqrt(D)) @ W.T / math.sqrt(N)
            nu = C @ Wt.T / math.sqrt(D)
            z = torch.cat([lam, nu], 1)
            covs.append((z.T @ z / per).cpu().numpy())                   # second moments: the prediction's means are 0
            for g in activations:
                gf = activation(g)[0]
                ggs[g].append((gf(lam).T @ gf(nu) / per).cpu().numpy())
    covs = np.array(covs)
    out = FieldMoments(law, N, D, per * BATCHES, covs.mean(0), covs.std(0, ddof=1) / math.sqrt(BATCHES), pred)
    P = torch.as_tensor(pred)
    for g in activations:
        x = np.array(ggs[g])
        out.gg[g], out.gg_se[g] = x.mean(0), x.std(0, ddof=1) / math.sqrt(BATCHES)
        out.gg_pred[g] = np.array([[float(I2(g, P[k, k], P[k, K + n], P[K + n, K + n])) for n in range(M)]
                                   for k in range(K)])
        own = np.array([float(I2(g, P[k, k], P[k, k], P[k, k])) for k in range(K)])
        other = np.array([float(I2(g, P[K + n, K + n], P[K + n, K + n], P[K + n, K + n])) for n in range(M)])
        out.gg_scale[g] = np.sqrt(np.outer(own, other))
    return out


def field_study(laws, Ns, ratio: float = 2.0, samples: int = 20_000, seed: int = 0) -> dict:
    """{law: [FieldMoments per N]} (each cached)."""
    return {law: [field_moments(law, int(N), ratio, samples, seed) for N in Ns] for law in laws}


def slope(Ns, dev, se, resolve: float = 3.0) -> tuple[float | None, int]:
    """Least-squares slope of log(deviation) against log N over the sizes where the deviation is resolved
    (> ``resolve`` standard errors); (None, count) with fewer than two such sizes."""
    Ns, dev, se = (np.asarray(x, float) for x in (Ns, dev, se))
    ok = dev > resolve * se
    if ok.sum() < 2:
        return None, int(ok.sum())
    return float(np.polyfit(np.log(Ns[ok]), np.log(dev[ok]), 1)[0]), int(ok.sum())


def study_summary(study: dict, Ns, g: str = "relu") -> dict:
    """Per law: deviations of the covariance and of eq. 24 (and standard errors) per N, and their slopes."""
    out = {}
    for law, rows in study.items():
        dev = np.array([r.deviation() for r in rows])                       # (nN, 2)
        ggd = np.array([r.gg_deviation(g) for r in rows])
        out[law] = dict(dev=dev[:, 0], dev_se=dev[:, 1], gg=ggd[:, 0], gg_se=ggd[:, 1],
                        slope=slope(Ns, dev[:, 0], dev[:, 1]), gg_slope=slope(Ns, ggd[:, 0], ggd[:, 1]))
    return out
