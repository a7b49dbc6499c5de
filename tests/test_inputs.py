"""Samplers of the latent C: moments against formulas, standardisation, variants, seeding, validation."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lib.core.inputs import DISTRIBUTIONS, make_distribution, sample_inputs
from lib.core.validate import ParameterError

Z = 5.0  # tolerance in standard errors: a 5-sigma miss has probability ~6e-7 per check


def draw(dist, n, seed=0, dtype=torch.float64):
    return dist.sample(n, torch.Generator().manual_seed(seed), dtype=dtype).numpy()


def gmm_fourth_central(means, weights):
    """E[(C - E C)^4] of the scalar mixture: sum_k p_k (d^4 + 6 d^2 + 3), d = mu_k - E C."""
    d = means - weights @ means
    return float(weights @ (d**4 + 6 * d**2 + 3))


@pytest.mark.parametrize("alpha,m", [(0.0, 1), (3.0, 3), (9.0, 5)])
def test_coordinate_mixture_moments_match_formulas(alpha, m):
    dist = make_distribution("gmm", 20, seed=3, alpha=alpha, m=m)
    p, mu = dist.weights, dist.means
    assert mu.shape == (m,) and np.all(np.abs(mu) <= alpha) and math.isclose(p.sum(), 1.0)
    mean = p @ mu
    var = 1 + p @ mu**2 - mean**2
    np.testing.assert_allclose(dist.mean, mean)
    np.testing.assert_allclose(dist.var, var)
    x = draw(dist, 10_000)
    N = x.size  # coordinates are i.i.d., so all n*D values pool
    # standard errors of the pooled sample mean and variance: sqrt(var/N) and sqrt((mu4 - var^2)/N)
    assert abs(x.mean() - mean) < Z * math.sqrt(var / N)
    assert abs(x.var() - var) < Z * math.sqrt((gmm_fourth_central(mu, p) - var**2) / N)


@pytest.mark.parametrize("dist,params", [
    ("gaussian", {}), ("uniform", {"low": -1.0, "high": 3.0}), ("beta", {"preset": "beta1"}),
    ("beta", {"preset": "beta2"}), ("poisson", {"rate": 3.0}), ("laplace", {"scale": 2.0}),
    ("pareto", {"shape": 10.0}),  # shape > 4 so the fourth moment (needed for the variance's SE) is finite
])
def test_raw_moments_match_formulas(dist, params):
    d = make_distribution(dist, 10, seed=1, **params)
    x = draw(d, 20_000).ravel()
    N, mean, var = x.size, d.mean[0], d.var[0]
    mu4 = np.mean((x - mean) ** 4)  # empirical fourth central moment for the SE of the variance
    assert abs(x.mean() - mean) < Z * math.sqrt(var / N)
    assert abs(x.var() - var) < Z * math.sqrt((mu4 - var**2) / N)


def test_named_moments():
    assert make_distribution("beta", 1, preset="beta2").mean[0] == pytest.approx(2 / 7)
    assert make_distribution("beta", 1, a=3.0, b=1.0).var[0] == pytest.approx(3 / (16 * 5))
    assert make_distribution("pareto", 1, shape=1.5).var[0] == math.inf
    lor = make_distribution("lorentz", 4)
    assert lor.mean is None and np.all(np.isinf(lor.var))


def test_poisson_is_integer_and_lorentz_quartiles():
    x = draw(make_distribution("poisson", 5, rate=2.5), 1000)
    assert np.all(x == np.round(x)) and x.min() >= 0
    y = draw(make_distribution("lorentz", 10, scale=2.0), 20_000).ravel()
    # quartiles of Cauchy(0, 2) are -2 and +2; SE of a sample quartile = sqrt(q(1-q)/N)/density(quartile)
    se = math.sqrt(0.25 * 0.75 / y.size) / stats.cauchy.pdf(2.0, scale=2.0)
    np.testing.assert_allclose(np.quantile(y, [0.25, 0.75]), [-2.0, 2.0], atol=Z * se)


@pytest.mark.parametrize("dist,params", [
    ("gmm", {"alpha": 5.0, "m": 3}), ("gmm", {"alpha": 5.0, "m": 3, "variant": "shared"}),
    ("poisson", {"rate": 0.5}), ("beta", {"preset": "beta1"}), ("pareto", {"shape": 10.0}),
])
def test_standardised_output_has_mean0_var1(dist, params):
    ns, n, D = 10_000, 10_000, 30
    d = make_distribution(dist, D, seed=2, standardize=True, standardize_samples=ns, **params)
    x = draw(d, n)
    z = (x - x.mean(0)) / x.std(0)
    kurt = np.mean(z**4)  # pooled kurtosis E[z^4]: the SE of a sample variance is var sqrt((kurt - 1)/n)
    # exact moments after the map: off 0 and 1 only by the estimation error from ns draws
    assert np.max(np.abs(d.mean)) < Z * math.sqrt(1 / ns)
    assert np.max(np.abs(d.var - 1)) < Z * math.sqrt((kurt - 1) / ns)
    assert np.max(np.abs(x.mean(0) - d.mean)) < Z * math.sqrt(d.var.max() / n)
    assert np.max(np.abs(x.var(0) - d.var)) < Z * math.sqrt((kurt - 1) / n) * d.var.max()


def test_shared_variant_is_correlated_coordinate_is_not():
    n, D = 20_000, 8
    shared = make_distribution("gmm", D, seed=4, alpha=6.0, m=3, variant="shared", standardize=True)
    coord = make_distribution("gmm", D, seed=4, alpha=6.0, m=3, variant="coordinate", standardize=True)
    assert shared.means.shape == (3, D)
    off = ~np.eye(D, dtype=bool)
    corr_s = np.corrcoef(draw(shared, n).T)[off]
    corr_c = np.corrcoef(draw(coord, n).T)[off]
    # exact correlation of the shared mixture: Cov = I + sum_k p_k mu_k mu_k^T - mean mean^T
    mu, p = shared.means, shared.weights
    cov = np.eye(D) + (mu.T * p) @ mu - np.outer(p @ mu, p @ mu)
    exact = (cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov))))[off]
    assert np.mean(np.abs(exact)) > 0.3  # strongly correlated for this seed (mean |corr| over pairs)
    # sample correlations: SE below ~(1 - r^2)/sqrt(n) <= 1/sqrt(n) for these (bounded-kurtosis) mixtures
    assert np.max(np.abs(corr_s - exact)) < Z * 2 / math.sqrt(n)
    assert np.max(np.abs(corr_c)) < Z / math.sqrt(n)  # independent coordinates


def test_logpdf_normalised_and_matches_gaussian():
    g = make_distribution("gmm", 1, seed=5, alpha=4.0, m=3, standardize=True)
    f = lambda x: math.exp(g.logpdf(np.array([[x]]))[0])
    total, _ = integrate.quad(f, -np.inf, np.inf, limit=200)
    first, _ = integrate.quad(lambda x: x * f(x), -np.inf, np.inf, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    assert first == pytest.approx(g.mean[0], abs=1e-8)
    x = np.random.default_rng(0).normal(size=(7, 6))
    one = make_distribution("gmm", 6, alpha=0.0, m=1)
    np.testing.assert_allclose(one.logpdf(x), stats.norm.logpdf(x).sum(1), rtol=1e-12)
    sh = make_distribution("gmm", 6, alpha=0.0, m=2, variant="shared")
    np.testing.assert_allclose(sh.logpdf(x), stats.norm.logpdf(x).sum(1), rtol=1e-12)
    # shared variant with m = 1 is a shifted Gaussian
    sh1 = make_distribution("gmm", 6, seed=2, alpha=3.0, m=1, variant="shared")
    np.testing.assert_allclose(sh1.logpdf(x), stats.norm.logpdf(x - sh1.means[0]).sum(1), rtol=1e-12)


def test_same_seed_same_samples():
    for name in DISTRIBUTIONS:
        a = sample_inputs(name, 50, 7, seed=11, standardize=True)
        b = sample_inputs(name, 50, 7, seed=11, standardize=True)
        c = sample_inputs(name, 50, 7, seed=12, standardize=True)
        assert a.shape == (50, 7) and a.dtype == torch.float32
        assert torch.equal(a, b), name
        assert not torch.equal(a, c), name
    d = make_distribution("gmm", 5, seed=1, alpha=2.0, m=2)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(d.sample(10, g1), d.sample(10, g2))
    assert not torch.equal(d.sample(10, g1), d.sample(10, torch.Generator().manual_seed(3)))  # g1 advanced


@pytest.mark.parametrize("dist,params,name", [
    ("gmm", {"alpha": -1.0}, "alpha"), ("gmm", {"m": 0}, "m"), ("gmm", {"variant": "joint"}, "variant"),
    ("beta", {"a": 0.0}, "a"), ("beta", {"b": -2.0}, "b"), ("beta", {"preset": "beta3"}, "preset"),
    ("poisson", {"rate": 0.0}, "rate"), ("pareto", {"shape": -1.0}, "shape"),
    ("laplace", {"scale": 0.0}, "scale"), ("lorentz", {"scale": -1.0}, "scale"),
    ("uniform", {"low": 1.0, "high": 1.0}, "high"), ("gmm", {"rate": 1.0}, "rate"),
    ("student", {}, "dist"),
])
def test_bad_parameters_raise_naming_them(dist, params, name):
    with pytest.raises(ParameterError, match=name):
        make_distribution(dist, 4, **params)


def test_bad_sizes_raise():
    with pytest.raises(ParameterError, match="D"):
        make_distribution("gaussian", 0)
    with pytest.raises(ParameterError, match="n"):
        make_distribution("gaussian", 3).sample(0, torch.Generator())
    with pytest.raises(ParameterError, match="x"):
        make_distribution("gmm", 3).logpdf(np.zeros((2, 4)))


def test_ideal_standardisation_uses_exact_moments():
    d = make_distribution("gmm", 4, seed=1, alpha=3.0, m=3, standardize=True, standardize_samples=None)
    np.testing.assert_allclose(d.mean, 0.0, atol=1e-12)
    np.testing.assert_allclose(d.var, 1.0, rtol=1e-12)
    with pytest.raises(ParameterError, match="standardize_samples"):
        make_distribution("lorentz", 2, standardize=True, standardize_samples=None)


def test_laplace_transform_is_finite_at_every_float32_uniform_and_laplace_distributed():
    from lib.core.inputs import laplace_from_uniform

    edges = torch.tensor([0.0, 0.5, 1.0 - 2.0**-24, 0.5 - 2.0**-24], dtype=torch.float32)
    x = laplace_from_uniform(edges)
    assert torch.isfinite(x).all(), x            # u = 0 gave -inf with the textbook inverse CDF
    assert x[0] == 0 and x[1] == 0 and x[2] > 15 and x[3] < -15
    u = torch.rand(200_000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    # Kolmogorov-Smirnov against Laplace(0, 1): p below 1e-4 would mean a wrong law
    assert stats.kstest(laplace_from_uniform(u).numpy(), "laplace").pvalue > 1e-4
