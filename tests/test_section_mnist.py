"""Section V.3 glue (lib.studies.pseudo_real): moment-matched fold constants, the standardised KDE, the SGD-vs-ODE
experiment on pseudo-real inputs and its statistics, on a tiny seeded problem (P = 100, D = 20)."""
import math
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import special, stats

from lib.core.functions import fold_constants
from lib.core.pseudo_real import PseudoRealParams, TeacherParams, fit_kde, fit_pseudo_real, fold_moments
from lib.core.mnist import load_mnist
from lib.studies.pseudo_real import (MnistRun, excess, fit_summary, latent_inputs, mnist_dynamics, ode_constants,
                               paired_improvement, standardized_kde, teacher_field, teacher_field_summary)
from lib.core.validate import ParameterError

TINY = PseudoRealParams(P=100, D=20, iterations=20, seed=0)
TEACH = TeacherParams(n_teachers=2, n_random=5, iterations=20, seed=0)
RUN = MnistRun(fit=TINY, teacher=TEACH, runs=2, t_max=1.0, points=5, test_samples=50, moment_samples=2000)


def test_moment_matched_constants_against_closed_form():
    """For u = m + s z, z ~ N(0, 1), f = erf(u / sqrt 2): a = erf(m / sqrt(2 (1 + s^2))) and, by Stein's lemma,
    b = E[z f(u)] = s E f'(u) = s sqrt(2 / pi) exp(-m^2 / (2 (1 + s^2))) / sqrt(1 + s^2)."""
    n, m, s = 400_000, -2.0, 1.8
    u = m + s * torch.randn(n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    mo = fold_moments(u, "erf")
    a, b, c = ode_constants(mo)
    a_exact = special.erf(m / math.sqrt(2 * (1 + s * s)))
    b_exact = s * math.sqrt(2 / math.pi) * math.exp(-m * m / (2 * (1 + s * s))) / math.sqrt(1 + s * s)
    # |f| <= 1 and |z| has unit variance, so each Monte Carlo mean has standard error <= 1 / sqrt(n);
    # 5 of them (0.008) is a safe bound, while the literal E[u f(u)] differs from b by ~1.5.
    tol = 5 / math.sqrt(n)
    assert a == pytest.approx(a_exact, abs=tol) and b == pytest.approx(b_exact, abs=tol)
    assert mo.c - mo.a ** 2 - mo.b ** 2 < 0 <= c - a * a - b * b      # literal inadmissible, matched fine
    # For standard normal u the matched constants are the Gaussian ones (same bound).
    z = torch.randn(n, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    assert np.allclose(ode_constants(fold_moments(z, "erf")), fold_constants("erf"), atol=tol)


def test_standardized_kde_is_exact_affine_image():
    kde = fit_kde(fit_pseudo_real(TINY))
    std = standardized_kde(kde)
    assert np.allclose(std.mean, 0, atol=1e-12) and np.allclose(std.var, 1, atol=1e-12)
    x = kde.sample(7, torch.Generator().manual_seed(3), dtype=torch.float64).numpy()
    y = std.sample(7, torch.Generator().manual_seed(3), dtype=torch.float64).numpy()
    assert np.allclose(y, (x - kde.mean) / np.sqrt(kde.var), atol=1e-12)
    with pytest.raises(ParameterError):
        latent_inputs(TINY, "mnist")


@pytest.fixture(scope="module")
def dyn():
    return mnist_dynamics(RUN)


def test_dynamics_shapes_and_shared_start(dyn):
    s = dyn.sgd
    assert s.Q.shape[:1] == (2,) and dyn.ode["corrected"].Q.shape[0] == 1
    assert np.allclose(s.t, dyn.ode["gaussian"].t)
    # Re-expressing with the Gaussian constants gives back the recorder's Q and R (float32 SGD weights).
    back = dyn.sgd_as("gaussian")
    assert np.allclose(back.Q, s.Q, atol=1e-5) and np.allclose(back.R, s.R, atol=1e-5)
    # Both ODEs start from the SGD weights: identical order parameters at t = 0 in each convention.
    for name in ("gaussian", "corrected"):
        sg, o = dyn.sgd_as(name), dyn.ode[name]
        for key in ("Q", "R", "v"):
            assert np.allclose(getattr(sg, key)[:, 0], getattr(o, key)[0, 0], atol=1e-5), (name, key)
    # The corrected constants of the pseudo-real inputs are far from Gaussian (MNIST background: a < -0.3)
    # and admissible.
    a, b, c = dyn.constants["corrected"]
    assert a < -0.3 and c - a * a - b * b >= 0
    tl = dyn.tlog("corrected")
    assert set(tl) == {"Q", "R", "v", "eg"} and all(x.shape == (2,) and np.all(x >= 0) for x in tl.values())


def test_gaussian_inputs_match_their_own_constants():
    """Gaussian C: the matched constants are close to the Gaussian ones (the fitted F only spreads the
    pixel variances of u), so the two ODEs stay close; the gap to SGD is the finite-size floor."""
    g = mnist_dynamics(replace(RUN, inputs="gaussian"))
    assert np.allclose(g.constants["corrected"], g.constants["gaussian"], atol=0.05)


def test_excess_and_paired_statistics():
    a, b = np.array([2.0, 2.2, 2.1, 1.9]), np.array([1.0, 1.1, 0.9, 1.0])
    ex = excess(a, b)
    assert ex.ratio == pytest.approx(a.mean() / b.mean())
    assert ex.p_value == pytest.approx(stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)
    assert excess(b, a).p_value > 0.5
    d, p = paired_improvement(a, a - 0.5)
    assert d == pytest.approx(0.5) and p == 0.0
    d, p = paired_improvement(a, a + np.array([0.1, -0.1, 0.2, 0.0]))
    assert d < 0 and p > 0.5
    with pytest.raises(ParameterError):
        excess([1.0], b)


def test_teacher_field_gaussian_reference():
    """Under Gaussian C the teacher field is N(0, T_mm = 1): variance, skewness, excess kurtosis within
    5 standard errors (sqrt(2/n), sqrt(6/n), sqrt(24/n)) of 1, 0, 0."""
    n = 20000
    tf = teacher_field(TINY, TEACH, 0, "gaussian", n, seed=4)
    assert np.all(np.abs(tf["var"] - 1) < 5 * math.sqrt(2 / n))
    assert np.all(np.abs(tf["skew"]) < 5 * tf["se_skew"]) and np.all(np.abs(tf["exkurt"]) < 5 * tf["se_exkurt"])


def test_run_validation():
    with pytest.raises(ParameterError):
        MnistRun(fit=TINY, teacher=TEACH, inputs="mnist")
    with pytest.raises(ParameterError):
        MnistRun(fit=TINY, teacher=TEACH, teacher_index=2)
    with pytest.raises(ParameterError):
        MnistRun(fit=TINY, teacher=TEACH, runs=0)


def test_fit_summary_matches_the_fit():
    """The chapter's summary holds exactly what the fit and its KDE give, recomputed here by other routes
    (exact arithmetic up to float64 rounding, hence 1e-12), and nothing of size P."""
    n_show, seed = 3, 5
    sm = fit_summary(TINY, n_show, seed)
    fit = fit_pseudo_real(TINY)
    kde = fit_kde(fit)
    assert sm.before == fit.before and sm.after == fit.after and sm.baselines == fit.baselines
    assert all(np.array_equal(sm.history[k], fit.history[k]) for k in ("loss", "mse"))
    shown = np.random.default_rng(seed).choice(TINY.P, n_show, replace=False)
    assert np.array_equal(sm.shown, shown) and len(set(shown)) == n_show
    to_img = lambda C: (special.erf(C @ fit.F / math.sqrt(TINY.D) / math.sqrt(2)) / TINY.pixel_scale + 1).clip(0, 2) / 2
    new_C = kde.sample(n_show, torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()
    std_C = standardized_kde(kde).sample(n_show, torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()
    expected = {"targets": load_mnist().pixels()[fit.index[shown]], "fit": to_img(fit.C[shown]),
                "kde": to_img(new_C), "standardized": to_img(std_C)}
    for key, img in expected.items():
        assert sm.images[key].shape == (n_show, 28, 28)
        assert np.allclose(sm.images[key], img.reshape(-1, 28, 28), atol=1e-12), key
    assert sm.h_ratio == pytest.approx(np.mean(kde.h / fit.C.std(0, ddof=1)), rel=1e-12)
    # Rows of F have squared norm N, so the pixel variances of u under Gaussian C average to exactly 1.
    assert sm.pixel_var.shape == (TINY.N,) and sm.pixel_var.mean() == pytest.approx(1.0, rel=1e-12)
    # The correlation matrix of the KDE is the covariance of its standardised image: trace D.
    assert np.allclose(sm.corr_eig, np.linalg.eigvalsh(standardized_kde(kde).covariance), atol=1e-10)
    assert sm.corr_eig.sum() == pytest.approx(TINY.D, rel=1e-10)
    # Size: four image rows, the pixel variances, the spectrum, the history and a few hundred bytes per field;
    # nothing that grows with P (C alone would be P D 8 bytes).
    numbers = 4 * n_show * TINY.N + TINY.N + TINY.D + 2 * len(fit.history["mse"]) + n_show
    assert len(pickle.dumps(sm)) < 8 * numbers + 4000
    with pytest.raises(ParameterError):
        fit_summary(TINY, TINY.P + 1, seed)


def test_teacher_field_summary_is_the_field_without_samples():
    """Same cumulants as teacher_field; the histogram is numpy's (matplotlib's) density histogram of the samples."""
    n, bins = 3000, 40
    tf = teacher_field(TINY, TEACH, 1, "kde", n, seed=2)
    sm = teacher_field_summary(TINY, TEACH, 1, "kde", n, seed=2, bins=bins)
    assert "nu" not in sm and all(np.array_equal(sm[k], tf[k]) for k in tf if k != "nu")
    assert sm["hist_edges"].shape == (TEACH.M, bins + 1) and sm["hist_density"].shape == (TEACH.M, bins)
    for m in range(TEACH.M):
        density, edges = np.histogram(tf["nu"][:, m], bins=bins, density=True)
        assert np.array_equal(sm["hist_edges"][m], edges) and np.array_equal(sm["hist_density"][m], density)
        assert (sm["hist_density"][m] * np.diff(edges)).sum() == pytest.approx(1.0, rel=1e-12)
