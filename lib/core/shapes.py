"""Unit-variance latent laws of controlled shape, for the map of shape (chapter "Beyond the paper").

Two families, both standardised exactly (mean 0, variance 1 by construction, no sample estimate):

* :class:`MomentLaw` (skew, exkurt): a discrete law of at most five atoms with the prescribed skewness and
  excess kurtosis. It is the mixture, with weights 1 - w and w, of

  - a standardised two-point law of skewness s0 = skew / (1 - w): atoms sqrt((1 - p) / p) and
    -sqrt(p / (1 - p)) with probabilities p and 1 - p, p = (1 - s0 / sqrt(s0^2 + 4)) / 2 (its kurtosis is
    s0^2 + 1, the least any law of skewness s0 can have);
  - the symmetric three-point law {-h, 0, h} with probabilities 1 / (2 h^2), 1 - 1 / h^2, 1 / (2 h^2)
    (variance 1, kurtosis h^2, h >= 1).

  Moments of standardised laws mix linearly, so skew = (1 - w) s0 and kurt = (1 - w)(s0^2 + 1) + w h^2.
  With w = (1 - skew^2 / (kurt - 1)) / 2 this gives h^2 >= 1 for every admissible pair, i.e. the whole
  interior of the region exkurt > skew^2 - 2 (kurt > skew^2 + 1; on its edge only two-point laws live).

  Why this family: it reaches every admissible (skewness, excess kurtosis), negative kurtosis included
  (Johnson SU only covers kurtosis above the lognormal line, Pearson families need several types), its
  moments are exact closed forms, and one uniform draw per coordinate samples it. Its support is bounded,
  so it isolates the first four moments from tails; the Student t below supplies tails.
* :class:`StudentT` (nu): Student's t with nu > 2 degrees of freedom, divided by sqrt(nu / (nu - 2)).
  Skewness 0, excess kurtosis 6 / (nu - 4) for nu > 4 and infinite for 2 < nu <= 4: at nu in (2, 4] the
  variance exists but no fourth moment, the edge of what the Gaussian theory may claim.
* :class:`GaussianLaw`: N(0, 1), the reference.

``law.sampler(D)`` returns a :class:`Shaped` input distribution for ``lib.core.sgd.simulate_sgd`` (an object
with ``D``, ``var`` and ``sample(n, generator, device, dtype) -> (n, D)``, i.i.d. coordinates).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import validate
from .validate import ParameterError

MARGIN = 1e-6     # how far inside the admissible region (exkurt > skew^2 - 2) a MomentLaw must lie


@dataclass(frozen=True)
class GaussianLaw:
    """N(0, 1) per coordinate (the reference of the floor)."""

    @property
    def label(self) -> str:
        return "Gaussian"

    def moments(self) -> dict:
        return {"mean": 0.0, "var": 1.0, "skew": 0.0, "exkurt": 0.0, "tail": math.inf}

    def sampler(self, D: int) -> "Shaped":
        return Shaped(self, validate.integer("D", D, 1))

    def draw(self, n: int, D: int, generator, device, dtype) -> torch.Tensor:
        return torch.randn(n, D, generator=generator, device=device, dtype=dtype)


@dataclass(frozen=True)
class MomentLaw:
    """The standardised discrete law of the module docstring with skewness ``skew`` and excess kurtosis
    ``exkurt`` (needs exkurt > skew^2 - 2)."""

    skew: float
    exkurt: float

    def __post_init__(self):
        object.__setattr__(self, "skew", validate.real("skew", self.skew))
        object.__setattr__(self, "exkurt", validate.real("exkurt", self.exkurt))
        if self.exkurt <= self.skew ** 2 - 2 + MARGIN:
            raise ParameterError(f"exkurt={self.exkurt:g} must be > skew^2 - 2 = {self.skew ** 2 - 2:g} (skew="
                                 f"{self.skew:g}): no law has a smaller kurtosis for this skewness")

    @property
    def label(self) -> str:
        return f"skew {self.skew:g}, exkurt {self.exkurt:g}"

    def atoms(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, probabilities), float64, five entries (some probabilities may be zero)."""
        s, kurt = self.skew, self.exkurt + 3.0
        w = 0.5 * (1.0 - s * s / (kurt - 1.0))
        s0 = s / (1.0 - w)
        p = 0.5 * (1.0 - s0 / math.sqrt(s0 * s0 + 4.0))
        h2 = (kurt - (1.0 - w) * (1.0 + s0 * s0)) / w
        h = math.sqrt(h2)
        x = np.array([math.sqrt((1 - p) / p), -math.sqrt(p / (1 - p)), -h, 0.0, h])
        q = np.array([(1 - w) * p, (1 - w) * (1 - p), w / (2 * h2), w * (1 - 1 / h2), w / (2 * h2)])
        return x, q

    def moments(self) -> dict:
        return {"mean": 0.0, "var": 1.0, "skew": self.skew, "exkurt": self.exkurt, "tail": math.inf}

    def raw_moment(self, k: int) -> float:
        """E[X^k] from the atoms (exact)."""
        x, q = self.atoms()
        return float(q @ x ** validate.integer("k", k, 0))

    def sampler(self, D: int) -> "Shaped":
        return Shaped(self, validate.integer("D", D, 1))

    def draw(self, n: int, D: int, generator, device, dtype) -> torch.Tensor:
        x, q = self.atoms()
        cdf = torch.as_tensor(np.cumsum(q)[:-1], device=device, dtype=torch.float64)
        idx = torch.searchsorted(cdf, torch.rand(n, D, generator=generator, device=device, dtype=torch.float64),
                                 right=True)
        return torch.as_tensor(x, device=device, dtype=dtype)[idx]


@dataclass(frozen=True)
class StudentT:
    """Student's t with ``nu`` > 2 degrees of freedom, scaled to unit variance."""

    nu: float

    def __post_init__(self):
        nu = validate.real("nu", self.nu)
        if nu <= 2:
            raise ParameterError(f"nu={nu:g} must be > 2 (the variance of Student's t is infinite for nu <= 2)")
        object.__setattr__(self, "nu", nu)

    @property
    def label(self) -> str:
        return f"Student t, nu {self.nu:g}"

    def moments(self) -> dict:
        exk = 6.0 / (self.nu - 4.0) if self.nu > 4 else math.inf
        skew = 0.0 if self.nu > 3 else math.nan
        return {"mean": 0.0, "var": 1.0, "skew": skew, "exkurt": exk, "tail": self.nu}

    def sampler(self, D: int) -> "Shaped":
        return Shaped(self, validate.integer("D", D, 1))

    def draw(self, n: int, D: int, generator, device, dtype) -> torch.Tensor:
        """Z sqrt((nu - 2) / (2 G)), Z ~ N(0, 1), G ~ Gamma(nu / 2, 1): t_nu times sqrt((nu - 2) / nu).
        Drawn in float64 (the gamma variates near 0 make the large values), then cast."""
        z = torch.randn(n, D, generator=generator, device=device, dtype=torch.float64)
        conc = torch.full((n, D), self.nu / 2, device=device, dtype=torch.float64)
        gam = torch._standard_gamma(conc, generator=generator)
        return (z * torch.sqrt((self.nu - 2) / (2 * gam))).to(dtype)


LAWS = (GaussianLaw, MomentLaw, StudentT)


@dataclass(frozen=True)
class Shaped:
    """D i.i.d. coordinates of ``law``: the input distribution that ``simulate_sgd`` draws C from."""

    law: object
    D: int

    def __post_init__(self):
        if not isinstance(self.law, LAWS):
            raise ParameterError(f"law={self.law!r} must be a GaussianLaw, MomentLaw or StudentT")
        object.__setattr__(self, "D", validate.integer("D", self.D, 1))

    @property
    def var(self) -> np.ndarray:
        return np.ones(self.D)

    def sample(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """C, (n, D), on ``device`` (default: the generator's) with ``generator``."""
        n = validate.integer("n", n, 1)
        device = torch.device(device) if device is not None else generator.device
        return self.law.draw(n, self.D, generator, device, dtype)


def make_law(spec) -> GaussianLaw | MomentLaw | StudentT:
    """A law from a notebook spec: ["gaussian"], ["moments", skew, exkurt] or ["student", nu]."""
    if not isinstance(spec, (list, tuple)) or not spec:
        raise ParameterError(f"law spec {spec!r} must be a list: ['gaussian'], ['moments', skew, exkurt] or "
                             "['student', nu]")
    kind, *args = spec
    makers = {"gaussian": (GaussianLaw, 0), "moments": (MomentLaw, 2), "student": (StudentT, 1)}
    validate.choice("law kind", kind, makers)
    maker, n = makers[kind]
    if len(args) != n:
        raise ParameterError(f"law spec {spec!r}: {kind!r} takes {n} number(s)")
    return maker(*args)
