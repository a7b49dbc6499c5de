"""lib.studies.beyond and lib.core.ode_mean: the excess statistics, the power fits and verdicts, the
fluctuation floor, the ODE with the a-term (against lib.core.ode where they must agree, and its averages
against brute-force Monte Carlo), and one tiny pass of the whole chapter."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.core.model import Model, init_weights
from lib.core.ode import ODEState, integrate_ode
from lib.core.ode_mean import _normal_points, integrate_ode_mean, shifted_integrals
from lib.core.shapes import GaussianLaw, MomentLaw
from lib.core.validate import ParameterError
from lib.studies.beyond import (GAPS, Beyond, Excess, PowerFit, bias_ratio, chapter_results, excess, floor_fit,
                                fluctuation_floor, power_fit, scaling_verdict, shape_batch)


def _tlog(values):
    return {m: np.asarray(values, dtype=float) * s for m, s in zip(GAPS, (1.0, 2.0, 0.5, 1.5))}


def test_excess_is_paired_and_relative():
    ref = _tlog([1.0, 1.2, 0.8, 1.0])
    e = excess(_tlog([1.5, 1.7, 1.3, 1.5]), ref)       # every run 0.5 above: half the floor of 1
    assert e.value == pytest.approx(0.5) and e.se == pytest.approx(0.0, abs=1e-12) and e.n == 4
    assert excess(ref, ref).value == 0.0 and not excess(ref, ref).resolved
    div = excess(_tlog([1.0, np.inf, 1.0, 1.0]), ref)
    assert div.value == math.inf and div.diverged == 1


def test_power_fit_recovers_the_exponent():
    Ns = np.array([250, 500, 1000, 2000, 4000])
    rng = np.random.default_rng(0)
    y = 0.8 * (Ns / 250.0) ** -0.7
    se = 0.03 * y
    fit = power_fit(Ns, y * (1 + 0.03 * rng.standard_normal(Ns.size)), se)
    assert fit.lo < -0.7 < fit.hi and fit.hi - fit.lo < 0.2
    assert np.isnan(power_fit(Ns, -y, se).beta)          # nothing positive: no fit
    ff = floor_fit(Ns, 0.02 * (Ns / 250.0) ** -0.5, np.full(Ns.size, 0.01))
    assert ff.beta == pytest.approx(-0.5, abs=1e-9)


def _ex(v, se):
    return Excess(v, se, 10, 0, {}, 1.0, 0.1)


def test_verdicts():
    flat = [_ex(0.01, 0.05)] * 3
    assert scaling_verdict(flat, PowerFit(math.nan, math.nan, math.nan, 100, 3)) == "floor"
    res = [_ex(1.0, 0.1), _ex(0.5, 0.1), _ex(0.25, 0.05)]
    assert scaling_verdict(res, PowerFit(-1.0, 0.1, 1.0, 100, 3)) == "faster"
    assert scaling_verdict(res, PowerFit(0.5, 0.1, 1.0, 100, 3)) == "slower"
    assert scaling_verdict(res, PowerFit(0.0, 0.1, 1.0, 100, 3)) == "same"
    assert scaling_verdict(res, PowerFit(0.0, 1.0, 1.0, 100, 3)) == "undecided"
    assert scaling_verdict([Excess(math.inf, math.nan, 3, 1, {}, 1.0, 0.1)] + res[1:],
                           PowerFit(0.0, 0.1, 1.0, 100, 3)) == "diverged"


def test_bias_ratio_is_one_for_pure_fluctuation_and_grows_with_bias():
    rng = np.random.default_rng(1)
    t = np.geomspace(0.01, 10, 20)
    truth = {m: np.exp(-t)[None, :] for m in GAPS}
    sgd = {m: truth[m] + 0.01 * rng.standard_normal((40, t.size)) for m in GAPS}
    assert fluctuation_floor(sgd["Q"], t).shape == (40,)
    r0 = bias_ratio(sgd, t, truth)
    assert 0.9 < r0["all"] < 1.1
    biased = {m: truth[m] + 0.03 for m in GAPS}
    assert bias_ratio(sgd, t, biased)["all"] > 2.5
    with pytest.raises(ParameterError, match="two runs"):
        fluctuation_floor(sgd["Q"][:1], t)


@pytest.mark.parametrize("g", ["relu", "erf"])
def test_shifted_integrals_against_monte_carlo(g):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((4, 4))
    C = A @ A.T / 4 + 0.3 * np.eye(4)
    mean = np.array([0.4, -0.7, 0.0, 0.0])
    w = np.array([0.8, -0.5, -1.0, 0.6])
    got = shifted_integrals(g, C, mean, 2, w, _normal_points(1 << 15, 4))
    z = mean + rng.standard_normal((1_000_000, 4)) @ np.linalg.cholesky(C).T
    from scipy import special
    G = special.erf(z / math.sqrt(2)) if g == "erf" else np.maximum(z, 0)
    dG = math.sqrt(2 / math.pi) * np.exp(-z * z / 2) if g == "erf" else (z > 0).astype(float)
    np.testing.assert_allclose(got["I2"], G[:, :2].T @ G / z.shape[0], atol=4e-3)
    np.testing.assert_allclose(got["E1"], dG[:, :2].T @ G / z.shape[0], atol=4e-3)
    # J1 through Stein: d/d mu_k E[g'(z_k) g(z_a)] = J1_ka + delta_ka J2_kk, by finite differences of mu
    h = 0.05                                   # a step g' needs a step far above the points' spacing
    up = shifted_integrals(g, C, mean + np.array([h, 0, 0, 0]), 2, w, _normal_points(1 << 15, 4))
    dn = shifted_integrals(g, C, mean - np.array([h, 0, 0, 0]), 2, w, _normal_points(1 << 15, 4))
    fd = (up["E1"][0] - dn["E1"][0]) / (2 * h)
    want = got["J1"][0] + np.eye(4)[0] * got["J2"][0, 0]
    np.testing.assert_allclose(fd[1:], want[1:], atol=2e-2)


@pytest.mark.parametrize("f", ["sgn", "relu"])
def test_ode_mean_without_the_term_is_the_book_ode(f):
    """mean_term=False (and, for an odd f, the term itself, since a = 0) is lib.core.ode up to quadrature."""
    m = Model(N=40, D=20, lr=0.2, f=f, g="relu")
    w = init_weights(m, runs=1, seed=0, share_student=True)
    ref = integrate_ode(ODEState.from_weights(m, w), m.lr, 1.0, points=6)
    for term in ([False, True] if f == "sgn" else [False]):
        got = integrate_ode_mean(m, w, 1.0, points=6, mean_term=term)
        np.testing.assert_allclose(got.Q, ref.Q, atol=2e-3)
        np.testing.assert_allclose(got.R, ref.R, atol=2e-3)
        np.testing.assert_allclose(got.v, ref.v, atol=2e-3)
        np.testing.assert_allclose(got.eg, ref.eg, atol=2e-3)


def test_ode_mean_starts_from_the_weights_mean():
    m = Model(N=40, D=20, lr=0.2, f="relu", g="erf")
    w = init_weights(m, runs=1, seed=1, share_student=True)
    got = integrate_ode_mean(m, w, 0.5, points=4)
    a = 1 / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(got.meta["mu"][0, 0], a * w.W.sum(-1)[0].numpy() / math.sqrt(40), atol=1e-12)
    with pytest.raises(ParameterError, match="t_max"):
        integrate_ode_mean(m, w, -1.0)


def test_shape_batch_runs_every_law():
    m = Model(N=20, D=10, lr=0.2, f="sgn", g="erf")
    res = shape_batch(m, (GaussianLaw(), MomentLaw(1.0, 2.0)), 2, 1.0, points=4, use_cache=False)
    assert res["labels"] == ["Gaussian", "skew 1, exkurt 2"]
    for name in GAPS:
        assert res["tlog"][name].shape == (2, 2) and np.all(np.isfinite(res["tlog"][name]))


TINY = dict(activations=["erf"], scaling_laws=[["Gaussian", "gaussian", {}], ["Laplace", "laplace", {"scale": 1.0}]],
            scaling_Ns=[20, 40], map_activation="erf", map_N=20, map_skews=[0.0], map_exkurts=[1.0],
            student_nus=[3.0], probe_laws=[["student", 3.0]], probe_Ns=[20, 40], fold_Ns=[20], fold_runs=3,
            fold_test_samples=20, runs=2, t_max=0.5, points=4, results_from="auto")


def test_chapter_results_tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path))
    r = chapter_results(TINY)
    assert set(r) == {"scaling", "map", "probe", "fold"}
    assert len(r["scaling"]["erf"]["excess"]["Laplace"]) == 2
    assert set(r["map"]["excess"]) == {"skew 0, exkurt 1", "Student t, nu 3"}
    assert set(r["fold"][("erf", 20)]) == {"with", "no"}


def test_beyond_needs_the_gaussian_reference_first():
    with pytest.raises(ParameterError, match="reference"):
        Beyond(**{**{k: v for k, v in TINY.items() if k != "results_from"},
                  "scaling_laws": [["Laplace", "laplace", {}], ["Gaussian", "gaussian", {}]]})
