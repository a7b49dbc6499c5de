"""Lemma checks: quadrature against closed forms and Monte Carlo, and the orders of the remainders."""
import math

import numpy as np
import pytest
import torch

from lib.measures.lemmas import (lemma_ii1, lemma_v1, lemma_v3, pair_expectation, projected_expectation, sample_means,
                        smoothed)
from lib.core.validate import ParameterError

Z = 5.0


def test_smoothed_closed_forms_match_monte_carlo():
    z = torch.randn(400_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64).numpy()
    from lib.measures.lemmas import func
    for name in ("sgn", "erf", "relu", "tanh", "quartic"):
        vals = func(name)(0.7 - 1.3 * z)  # mu = 0.7, sigma = 1.3 (z symmetric)
        se = vals.std() / math.sqrt(z.size)
        assert abs(vals.mean() - smoothed(name, 0.7, 1.3)) < Z * se, name


@pytest.mark.parametrize("u,v,closed", [
    ("sgn", "sgn", lambda e: 2 / math.pi * math.asin(e)),
    ("erf", "erf", lambda e: 2 / math.pi * math.asin(e / 2)),  # erf(x/sqrt2): Saad & Solla I2 with unit variances
    ("relu", "relu", lambda e: (math.sqrt(1 - e * e) + e * (math.pi / 2 + math.asin(e))) / (2 * math.pi)),
])
def test_pair_expectation_matches_closed_forms(u, v, closed):
    for e in (-0.6, 0.05, 0.9):
        assert pair_expectation(u, v, e) == pytest.approx(closed(e), abs=1e-10)


def test_lemma_ii1_remainder_is_second_order():
    r = lemma_ii1("relu", "relu", [0.3, 0.1, 0.03, 0.01])
    assert r["c2"] == pytest.approx(1 / (4 * math.pi), rel=1e-9)  # E[He2 relu]^2/2 = (1/sqrt(2 pi))^2 / 2
    # Mehler: remainder/eps^2 = c2 + O(eps^2) (the eps^3 term vanishes: E[He3 relu] = 0); the eps^4
    # coefficient measured from the closed form is ~7e-3, so at eps = 0.01 the deviation is ~1e-6
    assert abs(r["remainder_over_eps2"][-1] - r["c2"]) < 1e-5
    dev = np.abs(r["remainder_over_eps2"] - r["c2"])
    assert np.all(np.diff(dev) < 0)
    s = lemma_ii1("sgn", "sgn", [0.1, 0.01])  # odd functions: c2 = 0, remainder = (2/pi)(asin e - e) ~ e^3/(3 pi)
    assert s["c2"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(s["remainder_over_eps2"], s["eps"] / (3 * math.pi), rtol=0.01)
    with pytest.raises(ParameterError, match="eps"):
        lemma_ii1("sgn", "sgn", [1.0])


def test_lemma_v1_orders_and_monte_carlo():
    r = lemma_v1("relu", "sgn", [0.03, 0.01], alpha=3.0, m=3, seed=0)
    slope0 = np.log(abs(r["remainder0"][0] / r["remainder0"][1])) / np.log(3)
    slope1 = np.log(abs(r["remainder1"][0] / r["remainder1"][1])) / np.log(3)
    assert slope0 == pytest.approx(1.0, abs=0.15)  # eq. 21 holds up to O(eps)
    assert slope1 == pytest.approx(2.0, abs=0.15)  # with the per-pair Lemma II.1 term: O(eps^2)
    # literal Monte Carlo of the same pair: labels k, l independent, within-pair correlation rho
    from lib.measures.lemmas import _std_mixture
    mu, p, shift, scale = _std_mixture(3.0, 3, 0)
    rho = 0.5  # a large correlation so the check is not dominated by the zeroth order
    g = np.random.default_rng(1)
    n = 400_000
    k, l = g.choice(3, n, p=p), g.choice(3, n, p=p)
    z1 = g.normal(size=n)
    z2 = rho * z1 + math.sqrt(1 - rho**2) * g.normal(size=n)
    u1, u2 = (mu[k] + z1 - shift) / scale, (mu[l] + z2 - shift) / scale
    prod = np.maximum(u1, 0) * np.sign(u2)
    exact = lemma_v1("relu", "sgn", [rho / scale**2], alpha=3.0, m=3, seed=0)["exact"][0]
    assert abs(prod.mean() - exact) < Z * prod.std() / math.sqrt(n)


def test_lemma_v1_reduces_to_gaussian_for_one_component():
    r = lemma_v1("erf", "relu", [0.2], alpha=0.0, m=1)
    assert r["exact"][0] == pytest.approx(r["gaussian"][0], abs=1e-12)


def test_lemma_v3_closed_forms():
    # odd f under symmetric laws: no gap at all
    for dist in ("uniform", "laplace", "beta"):
        for f in ("sgn", "erf"):
            assert abs(lemma_v3(f, dist, low=-1.0, high=2.0)["gap"] if dist == "uniform"
                       else lemma_v3(f, dist)["gap"]) < 1e-9
    # x^4: the gap is the excess kurtosis (uniform -6/5, Laplace 3, arcsine law -3/2)
    assert lemma_v3("quartic", "uniform")["gap"] == pytest.approx(-1.2, abs=1e-8)
    assert lemma_v3("quartic", "laplace")["gap"] == pytest.approx(3.0, abs=1e-7)
    assert lemma_v3("quartic", "beta", preset="beta1")["gap"] == pytest.approx(-1.5, abs=1e-6)
    # relu under a symmetric law is E|x|/2: standardised uniform E|x| = sqrt(3)/2
    assert lemma_v3("relu", "uniform")["exact"] == pytest.approx(math.sqrt(3) / 4, abs=1e-9)
    # where expectations do not exist
    assert lemma_v3("quartic", "pareto", shape=4.0)["exact"] == math.inf
    assert math.isnan(lemma_v3("sgn", "lorentz")["exact"])


def test_lemma_v3_gmm_matches_monte_carlo_and_lorentz_is_erratic():
    from lib.core.inputs import make_distribution
    r = lemma_v3("sgn", "gmm", seed=2, alpha=4.0, m=3)
    d = make_distribution("gmm", 1, seed=2, alpha=4.0, m=3)
    c = d.sample(400_000, torch.Generator().manual_seed(5), dtype=torch.float64).numpy()[:, 0]
    vals = np.sign((c - d.raw_mean[0]) / math.sqrt(d.raw_var[0]))
    assert abs(vals.mean() - r["exact"]) < Z * vals.std() / math.sqrt(c.size)
    # Lorentz, standardised by sample estimates: E[sgn x] = -(2/pi) atan(mean_hat / scale), mean_hat ~ Cauchy:
    # with 8 seeds, all |values| < 0.2 would have probability 0.2^8 ~ 3e-6
    lor = lemma_v3("sgn", "lorentz", seeds=range(8))
    assert np.max(np.abs(lor["sampled"])) > 0.2
    # a finite-variance law standardised the same way stays within sampling error of its exact value:
    # sgn shifts by 2 p(0) (mean_hat - mean)/sd, p(0) = 1/(2 sqrt 3) for the standardised uniform
    uni = lemma_v3("sgn", "uniform", seeds=range(8), standardize_samples=10_000)
    assert np.max(np.abs(uni["sampled"] - uni["exact"])) < Z * (1 / math.sqrt(3)) / math.sqrt(10_000)


def test_sample_means_centre_on_the_expectations():
    r = sample_means("relu", 500, 400, seed=1, alpha=5.0, m=2)
    for key, ref in (("input", "exact_input"), ("gaussian", "exact_gaussian")):
        x = r[key]
        assert abs(x.mean() - r[ref]) < Z * x.std(ddof=1) / math.sqrt(x.size), key


def test_projection_restores_gaussian_expectation_for_finite_variance():
    r = projected_expectation("sgn", "pareto", [1, 200], n=20_000, seed=0)
    assert abs(r["gap"][0]) > 0.3  # a single standardised Pareto(4) coordinate: -0.37
    # D = 200: Edgeworth predicts |gap| ~ skewness(C) * sqrt(15)/D * 0.13 ~ 0.02; allow it plus 5 SE
    assert abs(r["gap"][1]) < 0.05 + Z * r["se"][1]
