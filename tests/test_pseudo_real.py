"""Pseudo-real MNIST (sec. V.3): the fit of eq. 25, its correlation penalties, the KDE of C, the
corrected (a, b, c) and the pseudo-teacher of eq. 26, on a small seeded problem (P = 300, D = 40)."""
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import stats

from lib.core.functions import fold_constants
from lib.core.pseudo_real import (KDESampler, PseudoRealParams, TeacherParams, correlation_matrices,
                             correlation_sizes, corrected_constants, fit_kde,
                             fit_pseudo_real, fold_moments, kde_bandwidth, pseudo_real_model,
                             pseudo_real_weights, pseudo_teacher_study, train_pseudo_teacher)
from lib.core.validate import ParameterError

SMALL = PseudoRealParams(P=300, D=40, iterations=60, seed=0)
TEACHER = TeacherParams(n_teachers=4, n_random=40, iterations=50, train_fraction=0.6, seed=0)


@pytest.fixture(scope="module")
def fit():
    return fit_pseudo_real(SMALL)


@pytest.fixture(scope="module")
def free_fit():
    return fit_pseudo_real(replace(SMALL, lambda_F=0.0, lambda_C=0.0))


def test_reconstruction_error_falls(fit):
    mse = fit.history["mse"]
    assert fit.before["mse"] == pytest.approx(mse[0])
    assert mse[-1] < 0.05 * mse[0]
    assert fit.after["mse"] < 0.5 * fit.baselines["mean"] < fit.baselines["zero"]
    # Reference: the best rank-D linear approximation of the targets (truncated SVD). f(C F / sqrt D)
    # has rank-D preactivations, so a working fit should be at least comparable; 1.5x leaves room for
    # the penalties. (Measured: 0.013 against 0.035.) A failed optimiser sits near the "mean" baseline.
    s = np.linalg.svd(fit.targets(), compute_uv=False)
    best_linear = (s[SMALL.D:] ** 2).sum() / (SMALL.P * SMALL.N)
    assert fit.after["mse"] < 1.5 * best_linear
    assert fit.C.shape == (300, 40) and fit.F.shape == (40, 784)
    # F's rows keep mean square 1 (the parametrisation of the bounded assumption).
    assert np.allclose((fit.F**2).mean(1), 1.0)
    img = fit.images()
    assert img.shape == (300, 28, 28) and img.min() >= 0 and img.max() <= 1


def test_fit_is_seeded_and_fixed_F_stays_gaussian():
    p = replace(SMALL, P=50, D=10, iterations=5, learn_F=False)
    a, b = fit_pseudo_real(p, use_cache=False), fit_pseudo_real(p, use_cache=False)
    assert np.array_equal(a.C, b.C)
    # With learn_F=False, F is the N(0, 1) draw that follows C's draw from the same generator.
    gen = torch.Generator().manual_seed(p.seed)
    torch.randn(p.P, p.D, generator=gen, dtype=torch.float64)
    assert np.array_equal(a.F, torch.randn(p.D, p.N, generator=gen, dtype=torch.float64).numpy())
    assert a.after["mse"] < a.before["mse"]


def test_penalties_keep_correlations_weak(fit, free_fit):
    # Before fitting, C and F are i.i.d. Gaussian: correlation sizes at the random level 1/sqrt(P)
    # for C's coordinates and 1/sqrt(N) for F's rows (to within a few per cent for 780 and 600k pairs).
    assert fit.before["C"] == pytest.approx(1 / math.sqrt(SMALL.P), rel=0.1)
    assert fit.before["F"] == pytest.approx(1 / math.sqrt(SMALL.N), rel=0.1)
    # Unpenalised, fitting MNIST builds strong correlations (measured rho^C 0.11, rho^F 0.17) ...
    assert free_fit.after["C"] > 1.2 * fit.before["C"] and free_fit.after["F"] > 2 * fit.before["F"]
    # ... the penalties hold them at or below the random level (bound stated: the i.i.d. Gaussian level)
    # and at less than half of the unpenalised values, for a reconstruction error of the same order.
    for key in ("C", "F"):
        assert fit.after[key] <= fit.before[key]
        assert fit.after[key] < 0.5 * free_fit.after[key]
    assert fit.after["mse"] < 3 * free_fit.after["mse"]


def test_correlation_sizes_match_literal_matrices():
    """The Gram-trick RMS and the blocked max agree with the literal off-diagonal entries."""
    gen = torch.Generator().manual_seed(0)
    C = torch.randn(30, 8, generator=gen, dtype=torch.float64) + 2.0
    F = torch.randn(8, 50, generator=gen, dtype=torch.float64)
    sizes = correlation_sizes(C, F)
    for key, rho in correlation_matrices(C, F).items():
        off = rho[~torch.eye(len(rho), dtype=torch.bool)]
        assert sizes[key] == pytest.approx(off.pow(2).mean().sqrt().item(), rel=1e-10)
        assert sizes[f"{key}_max"] == pytest.approx(off.abs().max().item(), rel=1e-12)
    # rho^C is the Pearson correlation of C's coordinates (numpy's corrcoef).
    assert np.allclose(correlation_matrices(C)["C"].numpy(), np.corrcoef(C.numpy(), rowvar=False))


def test_kde_samples_match_estimate_moments(fit):
    kde = fit_kde(fit)
    n = 20000
    gen = torch.Generator().manual_seed(1)
    C = kde.sample(n, gen, dtype=torch.float64).numpy()
    assert C.shape == (n, SMALL.D)
    # Mean: each coordinate's sample mean has standard error sqrt(var_i / n); 40 z-scores below 5.
    z = (C.mean(0) - kde.mean) / np.sqrt(kde.var / n)
    assert np.abs(z).max() < 5
    # Covariance: for near-Gaussian data the entrywise variance of the sample covariance is
    # (S_ii S_jj + S_ij^2) / n; the Frobenius error should be about the root of its sum. The KDE is
    # a mixture with somewhat heavier tails, so we allow 3 times that expected size.
    S = kde.covariance
    expected = math.sqrt(((np.outer(np.diag(S), np.diag(S)) + S**2) / n).sum())
    assert np.linalg.norm(np.cov(C, rowvar=False) - S) < 3 * expected
    # The KDE adds the kernel variance h^2 to each coordinate's spread of the fitted C.
    assert np.allclose(kde.var, fit.C.var(0) + kde.h**2)


def test_kde_sampler_contract(fit):
    kde = fit_kde(fit)
    a = kde.sample(7, torch.Generator().manual_seed(5))
    b = kde.sample(7, torch.Generator().manual_seed(5))
    assert a.dtype == torch.float32 and a.shape == (7, SMALL.D) and torch.equal(a, b)
    C, parent = kde.sample_indexed(7, torch.Generator().manual_seed(5))
    assert torch.equal(C, a)
    # Each sample sits within a few kernel widths of its parent centre (|z| < 6 for 280 normals).
    assert np.abs((C.double().numpy() - fit.C[parent.numpy()]) / kde.h).max() < 6
    with pytest.raises(ParameterError, match="device"):
        kde.sample(3, torch.Generator(), device="meta")


def test_bandwidth_rules_and_logpdf():
    rng = np.random.default_rng(0)
    C = rng.normal(size=(200, 3)) * [1.0, 2.0, 0.5]
    # "scott" is scipy's gaussian_kde factor n^(-1/(d+4)) applied per coordinate.
    factor = stats.gaussian_kde(C.T).factor
    assert np.allclose(kde_bandwidth(C, "scott"), factor * C.std(0, ddof=1))
    assert np.allclose(kde_bandwidth(C, 0.5), 0.5 * C.std(0, ddof=1))
    assert np.all(kde_bandwidth(C, "silverman_1d") < kde_bandwidth(C, "scott"))
    # logpdf against a literal sum over centres of product normal densities.
    kde = KDESampler(C, kde_bandwidth(C, "scott_1d"))
    x = rng.normal(size=(4, 3))
    literal = np.log(np.mean(np.prod(stats.norm.pdf(x[:, None, :], C[None], kde.h), axis=2), axis=1))
    assert np.allclose(kde.logpdf(x), literal)


def test_fold_moments_gaussian_and_fitted(fit):
    # Under U ~ N(0, 1) the Monte Carlo (a, b, c) reproduce the quadrature values within 5 standard
    # errors (each term's standard deviation is below 1, so 5 / sqrt(n) bounds the error).
    n = 400_000
    U = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    m = fold_moments(U, "erf")
    for got, want in zip((m.a, m.b, m.c), fold_constants("erf")):
        assert abs(got - want) < 5 / math.sqrt(n)
    # Under the fitted U, f(U) approximates the targets X, so (Cauchy-Schwarz / triangle inequality)
    # |a - mean X| <= sqrt(mse) and |sqrt(c) - sqrt(mean X^2)| <= sqrt(mse): rigorous bounds.
    X = fit.targets()
    moments = corrected_constants(SMALL, source="fit")
    err = math.sqrt(fit.after["mse"])
    assert abs(moments.a - X.mean()) <= err
    assert abs(math.sqrt(moments.c) - math.sqrt((X**2).mean())) <= err
    assert moments.a < -0.5  # MNIST is mostly background (-s): far from the Gaussian a = 0
    kde_moments = corrected_constants(SMALL, source="kde", n=2000)
    assert kde_moments.n == 2000 * SMALL.N and kde_moments.gaussian == fold_constants("erf")


def test_pseudo_teacher_beats_random_teachers(fit):
    study = pseudo_teacher_study(SMALL, TEACHER)
    # Random teachers guess: accuracy about 1/2 (measured 0.50 +- 0.06 over 40).
    assert abs(study.random_accuracies.mean() - 0.5) < 0.1
    assert study.accuracies.min() > study.random_accuracies.max() - 0.05
    assert study.p_value < 0.01  # Welch t-test, one-sided (measured p ~ 4e-9)
    t = study.teachers[0]
    assert t.W_t.shape == (TEACHER.M, SMALL.D) and np.allclose((t.W_t**2).sum(1), SMALL.D)
    assert t.train_accuracy >= t.test_accuracy - 0.05


def test_teacher_penalty_reduces_row_correlation(fit):
    free = TeacherParams(**{**TEACHER.__dict__, "lambda_W": 0.0})
    on = [train_pseudo_teacher(SMALL, TEACHER, i).rho_W_after for i in range(3)]
    off = [train_pseudo_teacher(SMALL, free, i).rho_W_after for i in range(3)]
    assert np.mean(on) < 0.5 * np.mean(off)


def test_weights_for_sgd(fit):
    teacher = train_pseudo_teacher(SMALL, TEACHER, 0)
    w = pseudo_real_weights(fit, teacher, K=2, runs=3, seed=1, dtype=torch.float32)
    assert w.F.shape == (1, SMALL.D, 784) and w.W.shape == (3, 2, 784) and w.v.shape == (3, 2)
    assert w.W_t.shape == (3, TEACHER.M, SMALL.D) and w.v_t.shape == (3, TEACHER.M)
    assert torch.allclose(w.F[0].double(), torch.from_numpy(fit.F), atol=1e-5)
    assert torch.allclose(w.W_t[2].double(), torch.from_numpy(teacher.W_t), atol=1e-5)
    model = pseudo_real_model(SMALL, TEACHER)
    assert (model.N, model.D, model.M, model.f, model.g) == (784, SMALL.D, TEACHER.M, "erf", "erf")


@pytest.mark.parametrize("bad", [dict(P=1), dict(P=10001), dict(D=1), dict(f="sgn"), dict(pixel_scale=1.0),
                                 dict(lambda_C=-1.0), dict(iterations=0), dict(bandwidth="foo"),
                                 dict(bandwidth=-0.1), dict(learn_F="yes")])
def test_bad_fit_parameters(bad):
    name = next(iter(bad))
    with pytest.raises(ParameterError, match=name):
        PseudoRealParams(**bad)


@pytest.mark.parametrize("bad", [dict(M=0), dict(g="tanh"), dict(train_fraction=1.0), dict(n_teachers=1),
                                 dict(lambda_W=-1.0)])
def test_bad_teacher_parameters(bad):
    name = next(iter(bad))
    with pytest.raises(ParameterError, match=name):
        TeacherParams(**bad)
