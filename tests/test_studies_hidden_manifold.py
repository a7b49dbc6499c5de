"""lib.studies.hidden_manifold: the constants table, the covariance gaps and their power law, the Monte Carlo
tolerance, the cumulants, and the chapter's figures (notebooks/02_hidden_manifold.py)."""
import math

import numpy as np
import pytest

from lib.core.validate import ParameterError
from lib.studies import hidden_manifold as study


def test_fold_constants_rows_against_closed_forms():
    rows = study.fold_constants_rows(["sgn", "tanh"])
    name, a, b, c, err = rows[0]
    assert name == "sgn" and abs(a) < 1e-12 and abs(b - math.sqrt(2 / math.pi)) < 1e-8 and abs(c - 1) < 1e-8
    assert err < 1e-8
    assert rows[1][0] == "tanh" and rows[1][4] is None                      # no closed form for tanh
    assert study.abc_error(rows) == err
    text = study.fold_constants_text(rows).splitlines()
    assert len(text) == 3 and text[0].startswith("f ") and text[2].endswith("no closed form")
    with pytest.raises(ParameterError, match="folds"):
        study.fold_constants_rows(["sgn", "cubic"])


def test_checks_draw_repeats_per_N():
    cs = study.checks([40, 80], 0.5, 2, 1, "sgn", 100, 3, 7)
    assert list(cs) == [40, 80] and [c.seed for c in cs[80]] == [7, 8, 9]
    assert cs[40][0].model.D == 20 and cs[80][2].model.M == 1 and cs[40][1].samples == 100


def _result(q_gep, q_exact, q_mc, skew=(0.0,), exkurt=(0.0,)):
    r = {"skew": np.array(skew), "exkurt": np.array(exkurt), "T": np.eye(2)}
    for key, q in (("gep", q_gep), ("exact", q_exact), ("mc", q_mc)):
        r[f"Q_{key}"] = np.array(q, dtype=float)
        r[f"R_{key}"] = np.zeros((2, 2))
    return r


def test_gap_is_the_largest_entry_averaged_over_repeats():
    res = [_result([[1, 0], [0, 1]], [[1.1, 0], [0, 1]], [[1, 0], [0, 1]]),
           _result([[1, 0.3], [0.3, 1]], [[1, 0], [0, 1]], [[1, 0], [0, 1]])]
    assert study.gap(res, "exact", "gep") == pytest.approx((0.1 + 0.3) / 2)
    assert study.gap(res, "mc", "exact") == pytest.approx((0.1 + 0.0) / 2)


def test_covariance_gaps_fit_the_power_law():
    # the formula's gap falls exactly like N^-1/2: the fit recovers slope -1/2 and the prefactor
    N_values = [100, 400, 1600]
    results = {N: [_result(np.eye(2), np.eye(2) * (1 + 3 / math.sqrt(N)), np.eye(2))] for N in N_values}
    gaps = study.covariance_gaps(results, N_values)
    assert np.allclose(gaps.gep, 3 / np.sqrt(N_values)) and np.allclose(gaps.mc, gaps.gep)
    assert gaps.slope == pytest.approx(-0.5) and math.exp(gaps.intercept) == pytest.approx(3)


def test_mc_tolerance_uses_the_largest_variance():
    results = {10: [_result(np.eye(2), np.diag([1.0, 4.0]), np.eye(2))], 20: [_result(np.eye(2), np.eye(2), np.eye(2))]}
    assert study.mc_tolerance(results, 800) == pytest.approx(5 * math.sqrt(2 * 16 / 800))


def test_cumulants_and_their_standard_errors():
    res = [_result(np.eye(2), np.eye(2), np.eye(2), skew=[0.1, 0.2], exkurt=[0.3, 0.4]) for _ in range(3)]
    cum = study.cumulants(res, 600)
    assert cum.skew.shape == (3, 2) and cum.exkurt[2, 1] == 0.4
    assert cum.se_skew == pytest.approx(0.1) and cum.se_kurt == pytest.approx(0.2)


def test_tiny_study_end_to_end():
    # two sizes, two draws each: the exact covariance matches its Monte Carlo estimate within the tolerance
    # and the formula's gap is positive (finite N)
    results = study.run_checks(study.checks([20, 40], 0.5, 2, 2, "sgn", 2000, 2, 0))
    gaps = study.covariance_gaps(results, [20, 40])
    assert np.all(gaps.gep > 0) and np.all(gaps.mc < study.mc_tolerance(results, 2000))
    cum = study.cumulants(results[40], 2000)
    assert cum.skew.shape == (2, 4)


def test_figures_have_their_panels():
    import matplotlib.pyplot as plt

    N_values = [100, 400]
    results = {N: [_result(np.eye(2), np.eye(2) * (1 + 1 / N), np.eye(2) * (1 + 2 / N))] for N in N_values}
    fig = study.gap_figure(study.covariance_gaps(results, N_values), 1000, 0.5)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 4
    plt.close(fig)
    res = [{**_result(np.eye(2), np.eye(2), np.eye(2), skew=[0.0] * 4, exkurt=[0.0] * 4),
            "lambda_sample": np.random.default_rng(0).normal(size=500), "lambda_var": 1.0}]
    fig = study.gaussianity_figure(res, study.cumulants(res, 500), 2, 2)
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[1].get_xticklabels()][3] == "$\\nu_1$"
    plt.close(fig)
