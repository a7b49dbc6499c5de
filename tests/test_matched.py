"""The matched Gaussian has the shared-label mixture's mean and covariance (within sampling error)."""
import numpy as np
import pytest
import torch

from lib.core.inputs import make_distribution
from lib.core.matched import MatchedGaussian, mixture_covariance
from lib.core.validate import ParameterError


@pytest.mark.parametrize("standardize", [False, True])
def test_matched_moments(standardize):
    D, n = 12, 200_000
    mix = make_distribution("gmm", D, seed=3, standardize=standardize, alpha=3.0, m=3, variant="shared")
    mg = MatchedGaussian.of(mix)
    cov = mixture_covariance(mix)
    np.testing.assert_allclose(mg.covariance(), cov, atol=1e-12)          # population: equal by construction
    gen = torch.Generator().manual_seed(0)
    x = mg.sample(n, gen, dtype=torch.float64).numpy()
    y = mix.sample(n, torch.Generator().manual_seed(1), dtype=torch.float64).numpy()
    # standard error of a sample covariance entry: sqrt((C_ii C_jj + C_ij^2) / n); 5 s.e. over 78 entries
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    for sample in (x, y):
        assert np.all(np.abs(np.cov(sample.T) - cov) < 5 * se)
        assert np.all(np.abs(sample.mean(0) - mg.mean) < 5 * np.sqrt(np.diag(cov) / n))
    # the spike is there: the top eigenvalue of the covariance is well above 1
    assert np.linalg.eigvalsh(cov)[-1] > 2


def test_matched_is_gaussian_mixture_is_not():
    mix = make_distribution("gmm", 4, seed=0, alpha=6.0, m=2, variant="shared")
    mg = MatchedGaussian.of(mix)
    u = mix.means[0] - mix.means[1]
    u /= np.linalg.norm(u)
    proj = lambda d: d.sample(100_000, torch.Generator().manual_seed(2), dtype=torch.float64).numpy() @ u
    kurt = lambda z: np.mean((z - z.mean()) ** 4) / np.var(z) ** 2 - 3
    assert abs(kurt(proj(mg))) < 0.1                       # Gaussian along the spike
    assert kurt(proj(mix)) < -0.5                          # bimodal along the spike


def test_needs_shared_mixture():
    with pytest.raises(ParameterError):
        MatchedGaussian.of(make_distribution("gmm", 4, alpha=1.0, m=2, variant="coordinate"))
