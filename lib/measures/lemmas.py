"""Numerical checks of the lemmas behind the modified equivalence property (Sections II and V.1).

* Lemma II.1 (eq. S6 of 001, scalar case I = J = 1 with unit variances): for jointly Gaussian x1, x2 with
  E[x1 x2] = eps,  E[u(x1) v(x2)] = E[u] E[v] + eps E[x u(x)] E[x v(x)] + O(eps^2).
  By Mehler's expansion the remainder is eps^2/2 E[He2 u] E[He2 v] + O(eps^3), He2(x) = x^2 - 1.
* Lemma V.1 (eq. 21 of 001): u1, u2 standardised scalar Gaussian mixtures (independent labels, correlation
  rho inside each component pair, so E[u1 u2] = eps = rho / scale^2):
  E[f(u1) g(u2)] = sum_kl p_k p_l <f>_k <g>_l + O(eps); the O(eps) term is Lemma II.1 per component pair.
* Lemma V.3: for x standardised to mean 0 and variance 1, E_P[f(x)] ~ E_N(0,1)[f(x)] when the higher
  derivatives of f do not matter. We measure the gap for f = sgn, relu, erf and where it must fail: a
  degree-4 polynomial (the gap is the excess kurtosis) and the Lorentz law (no variance to standardise by).

Everything is exact quadrature (scipy) except :func:`sample_means` (Monte Carlo, the appendix figure).
Functions are named: the folds of :mod:`lib.core.functions` ("sgn", "erf" = erf(x/sqrt 2), "relu", "tanh",
"linear") and "quartic" = x^4. Results are plain dicts of floats / numpy arrays for tabulation.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate, special, stats

from ..core import validate
from ..core.functions import FOLDS, fold_numpy
from ..core.inputs import make_distribution
from ..core.validate import ParameterError

FUNCTIONS: tuple[str, ...] = FOLDS + ("quartic",)
_SQRT2 = math.sqrt(2.0)
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(120)  # probabilists' Gauss-Hermite (smooth f only)
_GH_W = _GH_W / _GH_W.sum()


def func(name: str):
    """Numpy function by name (a fold of lib.core.functions or 'quartic')."""
    validate.choice("f", name, FUNCTIONS)
    return (lambda x: np.asarray(x, float) ** 4) if name == "quartic" else fold_numpy(name)


def smoothed(name: str, mu, sigma) -> np.ndarray:
    """G_f(mu, sigma) = E[f(mu + sigma z)], z ~ N(0, 1), vectorised over mu (closed forms; tanh by G-H)."""
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    validate.choice("f", name, FUNCTIONS)
    if name == "sgn":
        return special.erf(mu / (sigma * _SQRT2))
    if name == "erf":
        return special.erf(mu / np.sqrt(2 * (1 + sigma**2)))
    if name == "relu":
        r = mu / sigma
        return mu * special.ndtr(r) + sigma * np.exp(-0.5 * r * r) / math.sqrt(2 * math.pi)
    if name == "linear":
        return mu + 0 * sigma
    if name == "quartic":
        return mu**4 + 6 * mu**2 * sigma**2 + 3 * sigma**4
    return np.tanh(mu[..., None] + sigma[..., None] * _GH_X) @ _GH_W  # tanh


def _std_normal_expect(h) -> float:
    """E[h(z)], z ~ N(0, 1), by quadrature split at the kink z = 0."""
    dens = lambda z: h(z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return sum(integrate.quad(dens, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for a, b in ((-40, 0), (0, 40)))


def pair_expectation(u: str, v: str, rho: float, means=(0.0, 0.0), sds=(1.0, 1.0)) -> float:
    """E[u(x1) v(x2)] for jointly Gaussian x1, x2 with the given means, standard deviations and correlation
    rho; one quadrature over x1 with the inner expectation in closed form (:func:`smoothed`)."""
    m1, m2 = means
    s1, s2 = sds
    fu = func(u)
    inner_sd = s2 * math.sqrt(1 - rho * rho)

    def integrand(z):
        return fu(m1 + s1 * z) * smoothed(v, m2 + s2 * rho * z, inner_sd) * math.exp(-0.5 * z * z)

    kink = -m1 / s1
    pts = [kink] if -30 < kink < 30 else None
    val, _ = integrate.quad(integrand, -30.0, 30.0, points=pts, epsabs=1e-14, epsrel=1e-12, limit=400)
    return float(val / math.sqrt(2 * math.pi))


def _stein(name: str, mu, sigma) -> np.ndarray:
    """E[z f(mu + sigma z)] = sigma E[f'(mu + sigma z)] (Stein's lemma), closed forms; tanh by G-H."""
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    phi = lambda r: np.exp(-0.5 * r * r) / math.sqrt(2 * math.pi)
    if name == "sgn":
        return 2 * phi(mu / sigma)
    if name == "erf":
        return sigma * math.sqrt(2 / math.pi) * np.exp(-mu**2 / (2 * (1 + sigma**2))) / np.sqrt(1 + sigma**2)
    if name == "relu":
        return sigma * special.ndtr(mu / sigma)
    if name == "linear":
        return sigma + 0 * mu
    if name == "quartic":
        return 4 * sigma * (mu**3 + 3 * mu * sigma**2)
    return (np.tanh(mu[..., None] + sigma[..., None] * _GH_X) * _GH_X) @ _GH_W


def lemma_ii1(u: str, v: str, eps) -> dict:
    """Lemma II.1 (eq. S6): both sides for correlations ``eps`` (array) of standard Gaussians x1, x2.

    Returns arrays over eps: exact, expansion (= E u E v + eps E[x u] E[x v]), remainder = exact - expansion,
    remainder_over_eps2; and the predicted limit c2 = E[He2 u] E[He2 v] / 2 of remainder / eps^2.
    """
    eps = np.atleast_1d(np.asarray(eps, float))
    if np.any(np.abs(eps) >= 1) or np.any(eps == 0):
        raise ParameterError("eps must lie in (-1, 1) without 0")
    Eu, Ev = float(smoothed(u, 0.0, 1.0)), float(smoothed(v, 0.0, 1.0))
    Bu, Bv = float(_stein(u, 0.0, 1.0)), float(_stein(v, 0.0, 1.0))
    fu, fv = func(u), func(v)
    c2 = 0.5 * _std_normal_expect(lambda z: (z * z - 1) * fu(z)) * _std_normal_expect(lambda z: (z * z - 1) * fv(z))
    exact = np.array([pair_expectation(u, v, e) for e in eps])
    expansion = Eu * Ev + eps * Bu * Bv
    rem = exact - expansion
    return {"u": u, "v": v, "eps": eps, "exact": exact, "zeroth": np.full_like(eps, Eu * Ev),
            "expansion": expansion, "remainder": rem, "remainder_over_eps2": rem / eps**2, "c2": c2}


def _std_mixture(alpha: float, m: int, seed: int):
    """A scalar GM(alpha, m) (lib.core.inputs) standardised by its EXACT mean and sd: (means, weights, shift, scale)."""
    d = make_distribution("gmm", 1, seed=seed, alpha=alpha, m=m)
    return d.means, d.weights, float(d.raw_mean[0]), math.sqrt(float(d.raw_var[0]))


def v1_eps_limit(alpha: float = 3.0, m: int = 3, seed: int = 0) -> float:
    """The largest correlation |eps| that :func:`lemma_v1` can build for this standardised mixture, 1 / scale^2:
    a within-component correlation rho = eps scale^2 must stay below 1."""
    return 1.0 / _std_mixture(alpha, m, seed)[3] ** 2


def lemma_v1(u: str, v: str, eps, *, alpha: float = 3.0, m: int = 3, seed: int = 0) -> dict:
    """Lemma V.1 (eq. 21): E[u(u1) v(u2)] for two standardised GM(alpha, m) variables with E[u1 u2] = eps.

    Each label pair (k, l) has probability p_k p_l; inside it (u1, u2) is Gaussian with means
    ((mu_k - shift)/scale, (mu_l - shift)/scale), sds 1/scale and correlation rho = eps scale^2.
    Returns arrays over eps: exact; zeroth (eq. 21's sum, = E[u] E[v]); first (zeroth + the per-pair
    Lemma II.1 term rho sum_kl p_k p_l E_k[z u] E_l[z v]); remainders after each; and gaussian, the same
    correlation for standard Gaussian x1, x2 (what the ODE assumes), with gap = exact - gaussian.
    """
    eps = np.atleast_1d(np.asarray(eps, float))
    mu, p, shift, scale = _std_mixture(alpha, m, seed)
    mx, sd = (mu - shift) / scale, 1.0 / scale
    rho = eps * scale**2
    if np.any(np.abs(rho) >= 1) or np.any(eps == 0):
        raise ParameterError(f"eps must be nonzero with |eps| < 1/scale^2 = {1 / scale**2:.3g} for this mixture")
    Eu, Ev = p @ smoothed(u, mx, sd), p @ smoothed(v, mx, sd)
    Bu, Bv = p @ _stein(u, mx, sd), p @ _stein(v, mx, sd)
    exact = np.array([sum(p[k] * p[l] * pair_expectation(u, v, r, (mx[k], mx[l]), (sd, sd))
                          for k in range(m) for l in range(m)) for r in rho])
    gaussian = np.array([pair_expectation(u, v, e) for e in eps])
    zeroth = np.full_like(eps, Eu * Ev)
    first = zeroth + rho * Bu * Bv
    return {"u": u, "v": v, "alpha": alpha, "m": m, "eps": eps, "rho": rho, "exact": exact, "zeroth": zeroth,
            "first": first, "remainder0": exact - zeroth, "remainder1": exact - first,
            "gaussian": gaussian, "gap": exact - gaussian}


# ---- Lemma V.3: E[f(x)] under standardised non-Gaussian x ----------------------------------------------
def _scipy_law(dist: str, params: dict):
    if dist == "uniform":
        return stats.uniform(loc=params["low"], scale=params["high"] - params["low"])
    if dist == "beta":
        return stats.beta(params["a"], params["b"])
    if dist == "poisson":
        return stats.poisson(params["rate"])
    if dist == "laplace":
        return stats.laplace(scale=params["scale"])
    if dist == "pareto":
        return stats.pareto(params["shape"])
    if dist == "lorentz":
        return stats.cauchy(scale=params["scale"])
    return stats.norm()


_GROWTH = {"sgn": 0, "erf": 0, "tanh": 0, "relu": 1, "linear": 1, "quartic": 4}  # |f(x)| ~ |x|^growth


def _tail_index(dist: str, p: dict) -> float:
    """Moments of order r exist iff r < tail index (Pareto: shape, Lorentz: 1, the others: all)."""
    return p["shape"] if dist == "pareto" else 1.0 if dist == "lorentz" else math.inf


def standardized_expectation(f: str, dist: str, shift: float, scale: float, **params) -> float:
    """E[f((c - shift) / scale)] for c from the raw scalar law ``dist`` (lib.core.inputs parameters), by quadrature
    (a sum for Poisson; a sum over components for gmm). +inf where f grows too fast for the law's tail
    (relu or x^4 under Lorentz, x^4 under Pareto with shape <= 4), nan for an undefined 'inf - inf'."""
    d = make_distribution(dist, 1, **params)  # validates and fills defaults
    p = d.params
    if _GROWTH[validate.choice("f", f, FUNCTIONS)] >= _tail_index(dist, p):
        return math.nan if f == "linear" and dist == "lorentz" else math.inf
    if dist == "gmm":
        return float(d.weights @ smoothed(f, (d.means - shift) / scale, 1.0 / scale))
    h = func(f)
    law = _scipy_law(dist, p)
    if dist == "poisson":
        k = np.arange(0, int(law.ppf(1 - 1e-16)) + 50)
        return float(np.sum(h((k - shift) / scale) * law.pmf(k)))
    lo, hi = law.support()
    integrand = lambda c: h((c - shift) / scale) * law.pdf(c)
    parts = [(lo, shift), (shift, hi)] if lo < shift < hi else [(lo, hi)]
    with np.errstate(all="ignore"):
        try:
            total = sum(integrate.quad(integrand, a, b, epsabs=1e-12, epsrel=1e-10, limit=400,
                                       full_output=1)[0] for a, b in parts)
        except (ZeroDivisionError, OverflowError):
            return math.nan
    return float(total)


def lemma_v3(f: str, dist: str, *, seed: int = 0, seeds=(), standardize_samples: int = 10_000, **params) -> dict:
    """Lemma V.3 for one f and one input law.

    exact: E_P[f(x)] with x standardised by the law's exact mean and sd (nan where they do not exist);
    gaussian: E_N(0,1)[f(x)]; gap = exact - gaussian. ``seed`` fixes a mixture's parameters. With ``seeds``:
    sampled, E_P[f(x)] under the paper's procedure (standardised by the sample mean and sd of
    ``standardize_samples`` draws, one set per seed), computed exactly given those estimates, so its spread
    over seeds is the estimation effect alone.
    Expectations that do not exist (relu or x^4 under Lorentz, x^4 under Pareto with shape <= 4) are inf.
    """
    d = make_distribution(dist, 1, seed=seed, **params)
    gauss = float(smoothed(f, 0.0, 1.0))
    if d.raw_mean is not None and np.isfinite(d.raw_var[0]):
        exact = standardized_expectation(f, dist, float(d.raw_mean[0]), math.sqrt(d.raw_var[0]), seed=seed, **params)
    else:
        exact = math.nan
    ns = validate.integer("standardize_samples", standardize_samples, minimum=2)
    sampled = []
    for s in seeds:
        c = d.sample_raw(ns, torch.Generator().manual_seed(int(s)), "cpu", torch.float64)
        sampled.append(standardized_expectation(f, dist, float(c.mean()), float(c.std()), seed=seed, **params))
    return {"f": f, "dist": dist, "params": dict(d.params), "exact": exact, "gaussian": gauss,
            "gap": exact - gauss, "sampled": np.array(sampled)}


def sample_means(f: str, n: int, reps: int, *, dist: str = "gmm", seed: int = 0, **params) -> dict:
    """The appendix figure: ``reps`` sample means of f(x) over n draws, x from ``dist`` standardised by
    sample estimates (the paper's procedure) and from N(0, 1). Returns arrays 'input' and 'gaussian' (reps,),
    with 'exact_input' and 'exact_gaussian' expectations for reference lines."""
    n, reps = validate.integer("n", n, minimum=1), validate.integer("reps", reps, minimum=2)
    d = make_distribution(dist, 1, seed=seed, standardize=True, **params)
    h = func(f)
    g = torch.Generator().manual_seed(seed + 7)
    x = d.sample(n * reps, g, "cpu", torch.float64).numpy().reshape(reps, n)
    z = torch.randn(reps, n, generator=g, dtype=torch.float64).numpy()
    exact_in = standardized_expectation(f, dist, float(d.shift[0]), float(d.scale[0]), seed=seed, **params)
    return {"f": f, "input": h(x).mean(1), "gaussian": h(z).mean(1), "exact_input": exact_in,
            "exact_gaussian": float(smoothed(f, 0.0, 1.0))}


def projected_expectation(f: str, dist: str, D_values, *, n: int = 20_000, seed: int = 0, batch: int = 4_000,
                          **params) -> dict:
    """Why universality holds in the model: E[f(u)] for the projection u = C . F / |F| of a D-dimensional
    C with i.i.d. coordinates standardised as in the paper (sample estimates), F ~ N(0, I_D) fixed.

    For each D: mean (Monte Carlo over n draws) with its standard error se, and gaussian, E[f] under the
    Gaussian with u's exact mean and variance given the standardising map (N(0, 1) where the variance is
    infinite); gap = mean - gaussian. D = 1 is the single coordinate of Lemma V.3; by the central limit
    theorem the gap shrinks with D whenever the variance is finite (not for Lorentz: a sum of Cauchy
    variables is Cauchy).
    """
    n = validate.integer("n", n, minimum=2)
    h = func(f)
    out = {k: [] for k in ("D", "mean", "se", "gaussian", "gap")}
    for D in D_values:
        D = validate.integer("D", D, minimum=1)
        d = make_distribution(dist, D, seed=seed, standardize=True, **params)
        g = torch.Generator().manual_seed(seed + 1000 + D)
        F = torch.randn(D, generator=g, dtype=torch.float64)
        F = F / F.norm()
        vals = []
        for s in range(0, n, batch):
            u = d.sample(min(batch, n - s), g, "cpu", torch.float64) @ F
            vals.append(h(u.numpy()))
        v = np.concatenate(vals)
        Fn = F.numpy()
        if d.mean is not None and np.all(np.isfinite(d.var)):
            ref = float(smoothed(f, float(d.mean @ Fn), math.sqrt(float(d.var @ Fn**2))))
        else:
            ref = float(smoothed(f, 0.0, 1.0))
        out["D"].append(D)
        out["mean"].append(v.mean())
        out["se"].append(v.std(ddof=1) / math.sqrt(n))
        out["gaussian"].append(ref)
        out["gap"].append(v.mean() - ref)
    res = {k: np.array(x) for k, x in out.items()}
    res.update(f=f, dist=dist)
    return res
