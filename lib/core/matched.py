"""A Gaussian law with the mean and the full covariance of the one-label ("shared") Gaussian mixture.

The shared-label mixture of eq. 17 (001) read literally draws one label k ~ p per sample:
C = mu_k + Z, Z ~ N(0, I_D), mu_k in R^D. Its mean is mu_bar = sum_k p_k mu_k and its covariance is

    Cov C = I_D + sum_k p_k (mu_k - mu_bar)(mu_k - mu_bar)^T,

a rank-(m - 1) spike on the identity. The same two moments belong to the Gaussian

    C = mu_bar + sum_k sqrt(p_k) g_k (mu_k - mu_bar) + Z,   g ~ N(0, I_m), Z ~ N(0, I_D),

which keeps the spike (a shared O(1) latent factor) and replaces the discrete label by Gaussian latents.
:class:`MatchedGaussian` samples it and applies the *same* standardising map (shift, scale) as the mixture
it is built from, so the two standardised laws have the same mean and covariance, exactly in population and
within sampling error of the standardisation estimates in practice. It has the ``sample(n, generator,
device, dtype)`` interface of :class:`lib.core.inputs.InputDistribution`, so :func:`lib.core.sgd.simulate_sgd`
accepts it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from . import validate
from .inputs import InputDistribution


@dataclass(frozen=True, eq=False)
class MatchedGaussian:
    """Gaussian with the mean and covariance of a shared-label mixture ``source`` (and its standardisation).

    ``loadings`` (m, D): the rows sqrt(p_k) (mu_k - mu_bar); ``mu_bar`` (D,); ``shift``, ``scale`` (D,) the
    standardising map of ``source`` (0 and 1 when it is not standardised)."""

    source: InputDistribution
    mu_bar: np.ndarray
    loadings: np.ndarray
    _tensors: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, source: InputDistribution) -> "MatchedGaussian":
        if source.dist != "gmm" or source.params.get("variant") != "shared":
            raise validate.ParameterError("MatchedGaussian needs a 'gmm' distribution with variant='shared', got "
                                          f"{source.dist!r} {dict(source.params)}")
        mu_bar = source.weights @ source.means
        loadings = np.sqrt(source.weights)[:, None] * (source.means - mu_bar)
        return cls(source, mu_bar, loadings)

    # the fields simulate_sgd reads to describe its inputs and diagnose a divergence
    dist = "matched_gaussian"

    @property
    def D(self) -> int:
        return self.source.D

    @property
    def params(self) -> dict:
        return dict(self.source.params)

    @property
    def seed(self) -> int:
        return self.source.seed

    @property
    def standardize(self) -> bool:
        return self.source.standardize

    @property
    def shift(self) -> np.ndarray:
        return self.source.shift

    @property
    def scale(self) -> np.ndarray:
        return self.source.scale

    def covariance_raw(self) -> np.ndarray:
        """Population covariance before standardisation, (D, D): I + loadings^T loadings."""
        return np.eye(self.D) + self.loadings.T @ self.loadings

    def covariance(self) -> np.ndarray:
        """Population covariance of what :meth:`sample` returns, (D, D)."""
        return self.covariance_raw() / np.outer(self.scale, self.scale)

    @property
    def mean(self) -> np.ndarray:
        return (self.mu_bar - self.shift) / self.scale

    @property
    def var(self) -> np.ndarray:
        return np.diag(self.covariance())

    def _on(self, device, dtype) -> dict:
        key = (str(device), dtype)
        if key not in self._tensors:
            as_t = lambda x: torch.as_tensor(x, device=device, dtype=dtype)
            self._tensors[key] = {"mu": as_t(self.mu_bar), "A": as_t(self.loadings), "shift": as_t(self.shift),
                                  "scale": as_t(self.scale)}
        return self._tensors[key]

    def sample_raw(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """C before standardisation, (n, D): mu_bar + g A + Z."""
        n = validate.integer("n", n, minimum=1)
        device = torch.device(device) if device is not None else generator.device
        t = self._on(device, dtype)
        kw = dict(generator=generator, device=device, dtype=dtype)
        g = torch.randn(n, self.loadings.shape[0], **kw)
        return t["mu"] + g @ t["A"] + torch.randn(n, self.D, **kw)

    def sample(self, n: int, generator: torch.Generator, device=None, dtype=torch.float32) -> torch.Tensor:
        """n samples, (n, D), standardised with the source mixture's map."""
        c = self.sample_raw(n, generator, device, dtype)
        t = self._on(c.device, dtype)
        return (c - t["shift"]) / t["scale"]


def mixture_covariance(source: InputDistribution) -> np.ndarray:
    """Population covariance of the shared-label mixture ``source`` as sampled (after its standardisation), (D, D)."""
    mu_bar = source.weights @ source.means
    centred = source.means - mu_bar
    cov = np.eye(source.D) + (centred.T * source.weights) @ centred
    return cov / np.outer(source.scale, source.scale)
