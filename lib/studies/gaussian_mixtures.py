"""Section III: the KL divergence of Gaussian-mixture latent inputs from the standard Gaussian.

One cached study (``kl_study``) computes every number the chapter shows, for a grid of (m, alpha) and both
settings (unstandardised, standardised): the exact divergence averaged over ``n_mixtures`` draws of the
mixture parameters (standardised with the exact mean and variance), and for the first mixture of each cell the
k-nearest-neighbour estimate in dimension D and on a one-dimensional copy of the same scalar mixture
(standardised by sample estimates, as in the paper), beside the exact values of those two.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..core.inputs import make_distribution
from ..measures.kl import kl_exact, kl_knn

STANDARDIZE_SAMPLES = 10_000   # draws behind the sample mean and variance of the standardised k-NN inputs


@dataclasses.dataclass(frozen=True)
class KLStudy:
    D: int                      # latent dimension
    alphas: tuple               # spreads of the component means
    ms: tuple                   # numbers of components
    n_mixtures: int             # mixtures drawn per (alpha, m) for the exact mean
    knn_samples: int            # samples for the k-NN estimate in dimension D
    knn_samples_1d: int         # samples for the one-dimensional k-NN estimate
    k: int = 1                  # neighbour order
    seed: int = 0

    def __post_init__(self):
        for name in ("D", "n_mixtures", "knn_samples", "knn_samples_1d", "k"):
            validate.integer(name, getattr(self, name), minimum=1)
        for m in self.ms:
            validate.integer("ms", m, minimum=1)
        for a in self.alphas:
            validate.real("alphas", a, nonnegative=True)


def _mixture(alpha, m, seed, standardize, dim, samples=STANDARDIZE_SAMPLES):
    return make_distribution("gmm", dim, seed=seed, alpha=alpha, m=m, standardize=standardize,
                             standardize_samples=samples)


@cached(version=1)
def kl_study(study: KLStudy) -> dict[str, dict[bool, np.ndarray]]:
    """Tables (len(ms), len(alphas)) keyed by name, then by standardised (False/True): ``exact`` (mean over
    mixtures), ``exact_first``, ``knn_full`` (dimension D), ``exact_one`` and ``knn_one`` (dimension 1)."""
    s = study
    shape = (len(s.ms), len(s.alphas))
    out = {name: {} for name in ("exact", "exact_first", "knn_full", "exact_one", "knn_one")}
    for st in (False, True):
        tables = {name: np.zeros(shape) for name in out}
        for i, m in enumerate(s.ms):
            for j, a in enumerate(s.alphas):
                tables["exact"][i, j] = np.mean([kl_exact(_mixture(a, m, s.seed + r, st, s.D, samples=None))
                                                 for r in range(s.n_mixtures)])
                dist = _mixture(a, m, s.seed, st, s.D)
                gen = torch.Generator().manual_seed(s.seed + 1)
                tables["knn_full"][i, j] = kl_knn(dist.sample(s.knn_samples, gen, dtype=torch.float64), k=s.k,
                                                  seed=s.seed + 2)
                dist1 = _mixture(a, m, s.seed, st, 1)
                tables["knn_one"][i, j] = kl_knn(dist1.sample(s.knn_samples_1d, gen, dtype=torch.float64),
                                                 k=s.k, seed=s.seed + 3)
                tables["exact_one"][i, j] = kl_exact(dist1)
                tables["exact_first"][i, j] = kl_exact(dist)
        for name in out:
            out[name][st] = tables[name]
    return out
