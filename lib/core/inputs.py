"""Distributions of the latent input C of the hidden manifold model (Sections III and V.2).

``make_distribution(dist, D, ...)`` builds a frozen :class:`InputDistribution`; its ``sample(n, generator)``
draws C (n x D) directly on the generator's device, so every SGD run can own a generator.

Distributions and their parameters (defaults in brackets; the paper's Table 1 values were lost in
extraction, so these are our choices, stated in the book):

* ``gaussian``  N(0, 1) per coordinate (the reference of the Gaussian equivalence property).
* ``gmm``       Gaussian mixture GM(alpha, m) (eq. 17 of 001): component means mu_k ~ U[-alpha, alpha),
                unit variances, weights p_k ~ U(0, 1) normalised, all drawn from ``seed``.
                ``alpha`` [1.0] >= 0, ``m`` [2] >= 1, ``variant`` ["coordinate"]:
                - "coordinate": every coordinate draws its own label, so the coordinates are i.i.d.
                  scalar mixtures (the paper's setting, the one Lemma V.1 describes);
                - "shared": one label per sample, mean vectors mu_k ~ U[-alpha, alpha)^D; coordinates are
                  correlated through the label (our contrast case).
* ``uniform``   U[low, high) [0, 1).
* ``beta``      Beta(a, b); ``preset`` "beta1" = (0.5, 0.5) (U-shaped, arcsine law) [default] or
                "beta2" = (2, 5) (skewed); explicit ``a``, ``b`` override the preset.
* ``poisson``   Poisson(rate) [3.0] (discrete).
* ``laplace``   Laplace(0, scale) [1.0].
* ``pareto``    Pareto(shape, x_m = 1) [shape 4.0]; the variance is finite only for shape > 2.
* ``lorentz``   Cauchy(0, scale) [1.0]: no mean, no variance (the counter-example of Fig. 8 of 000).

``standardize=True`` applies the per-dimension affine map (C - mean_hat) / std_hat, where mean_hat and
std_hat are *sample* estimates from ``standardize_samples`` draws made once at construction (the paper's
procedure; for Lorentz these estimates are erratic, which is the point of its Fig. 8).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from scipy import special

from . import validate
from .validate import ParameterError

Dist = Literal["gaussian", "gmm", "uniform", "beta", "poisson", "laplace", "pareto", "lorentz"]
DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "gmm", "uniform", "beta", "poisson", "laplace", "pareto", "lorentz")
GMM_VARIANTS: tuple[str, ...] = ("coordinate", "shared")
BETA_PRESETS: dict[str, tuple[float, float]] = {"beta1": (0.5, 0.5), "beta2": (2.0, 5.0)}

# Default parameters per distribution; also the list of accepted parameter names.
DEFAULTS: dict[str, dict[str, Any]] = {
    "gaussian": {},
    "gmm": {"alpha": 1.0, "m": 2, "variant": "coordinate"},
    "uniform": {"low": 0.0, "high": 1.0},
    "beta": {"preset": "beta1", "a": None, "b": None},
    "poisson": {"rate": 3.0},
    "laplace": {"scale": 1.0},
    "pareto": {"shape": 4.0},
    "lorentz": {"scale": 1.0},
}

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

# Bounds where sampling silently breaks.
# Poisson: torch.poisson counts in int64 and returns garbage (negative values) above about 1e19; in float32 (the
# engines' dtype) the spacing of representable numbers near the rate, rate * 2**-23, exceeds the law's standard
# deviation sqrt(rate) above 2**46 ~ 7e13, so the draws lose their spread. 1e12 stays clear of both.
POISSON_RATE_MAX = 1e12
# Pareto: the inverse CDF (1 - u)**(-1 / shape) with 1 - u >= 2**-24 (float32 uniforms) reaches 2**(24 / shape),
# which overflows float32 (2**128) for shape < 0.1875: a share of the draws would be inf. 0.25 keeps every draw
# finite (at most 2**96).
PARETO_SHAPE_MIN = 0.25


def _seed_for(seed: int, purpose: int) -> int:
    """An independent 63-bit seed derived from (seed, purpose)."""
    return int(np.random.SeedSequence([seed, purpose]).generate_state(2, dtype=np.uint64)[0] >> np.uint64(1))


def _check_params(dist: str, params: dict) -> dict:
    unknown = sorted(set(params) - set(DEFAULTS[dist]))
    if unknown:
        allowed = ", ".join(DEFAULTS[dist]) or "none"
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for dist={dist!r}; allowed: {allowed}")
    p = {**DEFAULTS[dist], **params}
    if dist == "gmm":
        p["alpha"] = validate.real("alpha", p["alpha"], nonnegative=True)
        p["m"] = validate.integer("m", p["m"], minimum=1)
        validate.choice("variant", p["variant"], GMM_VARIANTS)
    elif dist == "uniform":
        p["low"], p["high"] = validate.real("low", p["low"]), validate.real("high", p["high"])
        if p["high"] <= p["low"]:
            raise ParameterError(f"high={p['high']} must be > low={p['low']}")
    elif dist == "beta":
        validate.choice("preset", p["preset"], BETA_PRESETS)
        a0, b0 = BETA_PRESETS[p["preset"]]
        p["a"] = validate.real("a", a0 if p["a"] is None else p["a"], positive=True)
        p["b"] = validate.real("b", b0 if p["b"] is None else p["b"], positive=True)
    elif dist == "poisson":
        p["rate"] = validate.real("rate", p["rate"], positive=True, maximum=POISSON_RATE_MAX)
    elif dist in ("laplace", "lorentz"):
        p["scale"] = validate.real("scale", p["scale"], positive=True)
    elif dist == "pareto":
        p["shape"] = validate.real("shape", p["shape"], minimum=PARETO_SHAPE_MIN)
    return p


def _raw_moments(dist: str, p: dict, D: int, means, weights) -> tuple[np.ndarray | None, np.ndarray]:
    """Exact per-coordinate mean and variance of C before standardisation, shape (D,)."""
    full = lambda x: np.full(D, float(x))
    if dist == "gaussian":
        return full(0.0), full(1.0)
    if dist == "gmm":
        if p["variant"] == "coordinate":
            mu = float(weights @ means)
            return full(mu), full(1.0 + float(weights @ means**2) - mu**2)
        mu = weights @ means  # (D,)
        return mu, 1.0 + weights @ means**2 - mu**2
    if dist == "uniform":
        return full((p["low"] + p["high"]) / 2), full((p["high"] - p["low"]) ** 2 / 12)
    if dist == "beta":
        a, b = p["a"], p["b"]
        return full(a / (a + b)), full(a * b / ((a + b) ** 2 * (a + b + 1)))
    if dist == "poisson":
        return full(p["rate"]), full(p["rate"])
    if dist == "laplace":
        return full(0.0), full(2 * p["scale"] ** 2)
    if dist == "pareto":
        s = p["shape"]
        mean = s / (s - 1) if s > 1 else math.inf
        var = s / ((s - 1) ** 2 * (s - 2)) if s > 2 else math.inf
        return full(mean), full(var)
    return None, full(math.inf)  # lorentz


def _gamma(shape: float, size, generator, device, dtype) -> torch.Tensor:
    conc = torch.full(size, shape, device=device, dtype=dtype)
    return torch._standard_gamma(conc, generator=generator)


def laplace_from_uniform(u: torch.Tensor) -> torch.Tensor:
    """Standard Laplace variates from u ~ U[0, 1) (what ``torch.rand`` returns, 0 included): the half
    u < 1/2 picks the sign, and 2u mod 1 in [0, 1) the magnitude -log(1 - (2u mod 1)), which is finite for
    every u. (The textbook inverse CDF -sgn(w) log(1 - 2|w|), w = u - 1/2, is -inf at u = 0, a float32
    draw of probability 2^-24: a t = 100 run at D = 500 makes ~5e7 draws, and that one infinite input made
    most paper-scale Laplace runs diverge.)"""
    two_u = 2 * u
    half = two_u >= 1
    mag = -torch.log1p(-(two_u - half.to(u.dtype)))
    return torch.where(half, mag, -mag)


def _draw_raw(dist: str, p: dict, n: int, D: int, tensors: dict, generator, device, dtype) -> torch.Tensor:
    """Draw C before standardisation, (n, D), on ``device`` with ``generator``."""
    kw = dict(generator=generator, device=device, dtype=dtype)
    if dist == "gaussian":
        return torch.randn(n, D, **kw)
    if dist == "gmm":
        cdf, mu = tensors["cdf"], tensors["means"]
        if p["variant"] == "coordinate":
            labels = torch.searchsorted(cdf, torch.rand(n, D, **kw)).clamp_(max=p["m"] - 1)
            return mu[labels] + torch.randn(n, D, **kw)
        labels = torch.searchsorted(cdf, torch.rand(n, **kw)).clamp_(max=p["m"] - 1)
        return mu[labels] + torch.randn(n, D, **kw)
    if dist == "uniform":
        return p["low"] + (p["high"] - p["low"]) * torch.rand(n, D, **kw)
    if dist == "beta":
        x = _gamma(p["a"], (n, D), generator, device, dtype)
        y = _gamma(p["b"], (n, D), generator, device, dtype)
        return x / (x + y)
    if dist == "poisson":
        return torch.poisson(torch.full((n, D), p["rate"], device=device, dtype=dtype), generator=generator)
    u = torch.rand(n, D, **kw)
    if dist == "laplace":
        return p["scale"] * laplace_from_uniform(u)
    if dist == "pareto":  # inverse CDF with 1 - u in (0, 1]
        return (1.0 - u).pow(-1.0 / p["shape"])
    return p["scale"] * torch.tan(math.pi * (u - 0.5))  # lorentz


@dataclass(frozen=True, eq=False)
class InputDistribution:
    """A distribution of the latent C in R^D; build it with :func:`make_distribution`.

    Attributes (numpy, float64):
      ``mean``, ``var``   exact per-coordinate moments of what :meth:`sample` returns, shape (D,)
                          (after the standardising map when ``standardize``); ``mean`` is None and ``var``
                          inf for Lorentz; inf where a Pareto moment diverges.
      ``raw_mean``, ``raw_var``  the same before standardisation.
      ``shift``, ``scale``  the affine map C -> (C - shift) / scale, shape (D,) (0 and 1 if not standardised).
      ``means``, ``weights``  gmm only: component means, (m,) for "coordinate" or (m, D) for "shared",
                          and weights p_k, (m,).
    """

    dist: str
    D: int
    params: dict
    seed: int
    standardize: bool
    shift: np.ndarray
    scale: np.ndarray
    raw_mean: np.ndarray | None
    raw_var: np.ndarray
    means: np.ndarray | None = None
    weights: np.ndarray | None = None
    _tensors: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def mean(self) -> np.ndarray | None:
        return None if self.raw_mean is None else (self.raw_mean - self.shift) / self.scale

    @property
    def var(self) -> np.ndarray:
        return self.raw_var / self.scale**2

    def _on(self, device: torch.device, dtype: torch.dtype) -> dict:
        key = (str(device), dtype)
        if key not in self._tensors:
            t = {"shift": torch.as_tensor(self.shift, device=device, dtype=dtype),
                 "scale": torch.as_tensor(self.scale, device=device, dtype=dtype)}
            if self.dist == "gmm":
                t["means"] = torch.as_tensor(self.means, device=device, dtype=dtype)
                t["cdf"] = torch.as_tensor(np.cumsum(self.weights), device=device, dtype=dtype)
            self._tensors[key] = t
        return self._tensors[key]

    def sample_raw(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """C before standardisation, (n, D)."""
        n = validate.integer("n", n, minimum=1)
        device = torch.device(device) if device is not None else generator.device
        if device.type != generator.device.type:
            raise ParameterError(f"device={device} does not match the generator's device {generator.device}")
        return _draw_raw(self.dist, self.params, n, self.D, self._on(device, dtype), generator, device, dtype)

    def sample(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """Draw n samples of C, (n, D), on ``device`` (default: the generator's device) with ``generator``."""
        c = self.sample_raw(n, generator, device, dtype)
        if not self.standardize:
            return c
        t = self._on(c.device, dtype)
        return (c - t["shift"]) / t["scale"]

    def logpdf(self, x) -> np.ndarray:
        """Exact log density of the sampled distribution at rows of x (n, D) -> (n,); mixtures and Gaussian.

        Mixture, coordinate variant: sum_i log sum_k p_k phi(c_i - mu_k); shared variant:
        log sum_k p_k prod_i phi(c_i - mu_ki); with c = scale * x + shift and the Jacobian sum_i log scale_i.
        """
        if self.dist not in ("gmm", "gaussian"):
            raise ParameterError(f"logpdf is implemented for dist='gmm' and 'gaussian', not {self.dist!r}")
        x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.D:
            raise ParameterError(f"x has shape {x.shape}; expected (n, {self.D})")
        c = x * self.scale + self.shift
        jac = np.sum(np.log(self.scale))
        if self.dist == "gaussian":
            return -0.5 * np.sum(c**2, axis=1) - self.D * _LOG_SQRT_2PI + jac
        logw = np.log(self.weights)
        if self.params["variant"] == "coordinate":
            per = special.logsumexp(logw - 0.5 * (c[..., None] - self.means) ** 2, axis=-1) - _LOG_SQRT_2PI
            return per.sum(axis=1) + jac
        # shared: squared distances to each mean vector, (n, m)
        d2 = (c**2).sum(1)[:, None] - 2 * c @ self.means.T + (self.means**2).sum(1)[None, :]
        return special.logsumexp(logw - 0.5 * d2, axis=1) - self.D * _LOG_SQRT_2PI + jac


def make_distribution(dist: str, D: int, *, seed: int = 0, standardize: bool = False,
                      standardize_samples: int | None = 10_000, **params) -> InputDistribution:
    """Build the distribution ``dist`` of C in R^D (see the module docstring for ``params``).

    Mixture parameters (means, weights) come from ``seed``; with ``standardize`` the per-dimension sample
    mean and standard deviation of ``standardize_samples`` draws (CPU, float64, a generator derived from
    ``seed``) define the map (C - mean_hat) / std_hat. ``standardize_samples=None`` uses the exact
    population mean and standard deviation instead (the ideal map; an error where they do not exist).
    """
    validate.choice("dist", dist, DISTRIBUTIONS)
    D = validate.integer("D", D, minimum=1)
    seed = validate.integer("seed", seed, minimum=0)
    if not isinstance(standardize, bool):
        raise ParameterError(f"standardize={standardize!r} must be True or False")
    p = _check_params(dist, params)
    means = weights = None
    if dist == "gmm":
        rng = np.random.default_rng([seed, 0])
        shape = (p["m"],) if p["variant"] == "coordinate" else (p["m"], D)
        means = rng.uniform(-p["alpha"], p["alpha"], size=shape)
        w = rng.uniform(0.0, 1.0, size=p["m"])
        weights = w / w.sum()
    raw_mean, raw_var = _raw_moments(dist, p, D, means, weights)
    shift, scale = np.zeros(D), np.ones(D)
    base = InputDistribution(dist, D, p, seed, False, shift, scale, raw_mean, raw_var, means, weights)
    if not standardize:
        return base
    if standardize_samples is None:
        if raw_mean is None or not np.all(np.isfinite(raw_mean)) or not np.all(np.isfinite(raw_var)):
            raise ParameterError(f"standardize_samples=None needs a finite mean and variance; dist={dist!r} has none")
        return InputDistribution(dist, D, p, seed, True, raw_mean.copy(), np.sqrt(raw_var), raw_mean, raw_var,
                                 means, weights)
    ns = validate.integer("standardize_samples", standardize_samples, minimum=2)
    gen = torch.Generator().manual_seed(_seed_for(seed, 1))
    c = base.sample_raw(ns, gen, "cpu", torch.float64)
    shift = c.mean(0).numpy()
    scale = c.std(0).numpy()
    if not np.all(scale > 0):
        raise ParameterError(f"standardize_samples={ns}: a dimension has zero sample variance")
    return InputDistribution(dist, D, p, seed, True, shift, scale, raw_mean, raw_var, means, weights)


def sample_inputs(dist: str, n: int, D: int, *, seed: int = 0, standardize: bool = False, device=None,
                  dtype=torch.float32, **params) -> torch.Tensor:
    """Draw C (n x D) from ``dist`` in one call: the distribution and the draws both come from ``seed``."""
    dev = torch.device(device) if device is not None else torch.device("cpu")
    d = make_distribution(dist, D, seed=seed, standardize=standardize, **params)
    gen = torch.Generator(dev).manual_seed(_seed_for(seed, 2))
    return d.sample(n, gen, dev, dtype)
