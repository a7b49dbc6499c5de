"""lib/ode_study.py: the power-law fit, the N-independent initial conditions, one SGD-vs-ODE cell,
the convergence sweep's bookkeeping and the convention comparison (tiny sizes: the physics itself is
checked by notebooks/02b_ode.py and tests/test_ode.py)."""
import numpy as np
import pytest
import torch

from lib import Model, init_weights, order_parameters
from lib.studies import ode_vs_sgd as study
from lib.pipeline.claims import PAPER_TABLES
from lib.measures.metrics import tlog_rmse
from lib.core.validate import ParameterError


def test_fit_recovers_slope_with_group_intercepts():
    # log gap = a_j + s log N + noise (sd 0.1), 6 sizes, 5 groups with very different intercepts.
    # The fitted slope must lie within 4 of its standard errors of the truth (a 4-sigma event otherwise),
    # and the standard error must match the known one, sd / sqrt(sum (x - mean x)^2) over all
    # observations, within 30% (its relative sampling error with 24 degrees of freedom is ~15%).
    rng = np.random.default_rng(0)
    N = np.array([100, 200, 400, 800, 1600, 3200])
    a = rng.normal(0, 2, size=5)
    sd, s_true = 0.1, -0.5
    gaps = np.exp(a[None, :] + s_true * np.log(N)[:, None] + rng.normal(0, sd, size=(6, 5)))
    fit = study.fit_power_law(N, gaps)
    assert fit.dof == 6 * 5 - 5 - 1
    assert abs(fit.slope - s_true) < 4 * fit.stderr
    known = sd / np.sqrt(5 * np.sum((np.log(N) - np.log(N).mean()) ** 2))
    assert 0.7 < fit.stderr / known < 1.3
    # exact data: exact slope, zero error, and the curve passes through the groups' geometric mean
    exact = np.exp(a[None, :] + s_true * np.log(N)[:, None])
    fit = study.fit_power_law(N, exact)
    assert abs(fit.slope - s_true) < 1e-12 and fit.stderr < 1e-12
    assert np.allclose(fit(N), np.exp(np.log(exact).mean(axis=1)), rtol=1e-12)
    one = study.fit_power_law(N, exact[:, 0])                      # a single group
    assert abs(one.slope - s_true) < 1e-12 and one.dof == 4


def test_fit_rejects_bad_input():
    N = np.array([100, 200, 400])
    for args in [(N, np.array([1.0, 0.0, 1.0])), (N, np.array([1.0, np.nan, 1.0])), (N, np.ones(2)),
                 (np.array([100.0]), np.ones(1)), (N[:2], np.ones(2)), (N[:2], np.ones((2, 1)))]:
        with pytest.raises(ParameterError):
            study.fit_power_law(*args)


def test_study_weights_fix_second_layers_across_N():
    # v and v~ depend on the seed only (same at N = 40 and N = 80), are shared by the runs and differ
    # between seeds; F, W, W~ are those of init_weights (shared student).
    small, large = Model(N=40, D=20), Model(N=80, D=40)
    w1, w2 = study.study_weights(small, 3, 5), study.study_weights(large, 3, 5)
    assert torch.equal(w1.v, w2.v) and torch.equal(w1.v_t, w2.v_t)
    assert torch.equal(w1.v[0], w1.v[2]) and not torch.equal(study.study_weights(small, 3, 6).v, w1.v)
    ref = init_weights(small, runs=3, seed=5, share_student=True)
    assert torch.equal(w1.F, ref.F) and torch.equal(w1.W, ref.W) and torch.equal(w1.W_t, ref.W_t)
    assert w1.v.shape == (3, 2) and w1.v_t.shape == (3, 2)


def test_gaussian_cell_shares_t0_and_records_per_run_gaps():
    # One tiny cell in float64: ODE and SGD at t = 0 equal the order parameters of the weights to
    # roundoff (1e-10); tlog is tlog_rmse of each run against the ODE; the mean-of-runs gap is at most
    # the mean per-run gap (the RMS of a mean is at most the mean of the RMSs, triangle inequality).
    model = Model(N=60, D=30, g="relu")
    res = study.gaussian_cell(model, 1, 3, 1.0, points=8, sgd_dtype="float64")
    gaps = study.initial_gap(model, 1, res)
    assert max(gaps.values()) < 1e-10, gaps
    op = order_parameters(model, study.study_weights(model, 3, 1))
    assert np.allclose(res.ode.Q[0, 0], op["Q"][0].numpy(), atol=1e-12)
    assert res.sgd.runs == 3 and res.tlog["Q"].shape == (3, 2, 2) and res.tlog["v"].shape == (3, 2)
    assert np.allclose(res.tlog["R"], tlog_rmse(res.sgd.t, res.sgd.R, res.ode.R, time_axis=1))
    of_mean = study.tlog_of_mean(res)
    for n in ("Q", "R", "v"):
        assert np.all(of_mean[n] <= res.tlog[n].mean(axis=0) + 1e-15)
    assert np.all(res.tlog["Q"] > 0)                               # the runs do fluctuate
    with pytest.raises(ParameterError, match="sgd_dtype"):
        study.gaussian_cell(model, 1, 3, 1.0, sgd_dtype="float16")


def test_convergence_bookkeeping():
    # Shapes (sizes, seeds, runs), sizes sorted, D = ratio N, gap() = run mean, "all" = geometric mean,
    # and every entry equals the per-run tLog-RMSE of its cell.
    s = study.ConvergenceStudy(g="erf", N_values=(80, 40), ratio=0.5, seeds=2, runs=2, t_max=0.5, points=6)
    assert s.N_values == (40, 80)
    res = study.convergence(s)
    assert res.N.tolist() == [40, 80] and res.D.tolist() == [20, 40]
    assert res.per_run["Q"].shape == (2, 2, 2) and res.gap("v").shape == (2, 2)
    cell = study.gaussian_cell(s.model(80), 1, 2, 0.5, 6, 0.01)
    assert np.allclose(res.per_run["R"][1, 1], cell.tlog["R"].reshape(2, -1).mean(axis=1))
    geo = np.exp(np.mean([np.log(res.gap(n)) for n in ("Q", "R", "v")], axis=0))
    assert np.allclose(res.gap("all"), geo)
    fit = res.fit("all")
    assert fit.dof == 1 and np.isfinite(fit.slope)
    with pytest.raises(ParameterError):
        res.gap("T")


@pytest.mark.parametrize("kwargs", [dict(N_values=(100,)), dict(N_values=(100, 100)), dict(ratio=0.001),
                                    dict(seeds=0), dict(runs=0), dict(g="tanh"), dict(t_max=0.0),
                                    dict(N_values=(100, 200), seeds=1)])
def test_convergence_study_validates(kwargs):
    with pytest.raises(ParameterError):
        study.ConvergenceStudy(**kwargs)


def test_floor_components():
    row = PAPER_TABLES["I"]["rows"]["alpha=0"]
    f = study.floor_components(row, 2, 2)
    assert f["Q"][0, 1] == row[1] and f["R"][1, 0] == row[6] and f["v"][1] == row[9]
    g = study.floor_components(row, 3, 1)
    assert g["Q"].shape == (3, 3) and g["R"].shape == (3, 1) and np.allclose(g["R"], np.mean(row[4:8]))
    assert study.component_names("R", 2, 3) == ["R00", "R01", "R02", "R10", "R11", "R12"]
    with pytest.raises(ParameterError):
        study.floor_components(row[:9], 2, 2)


def test_conventions_are_small_and_distinct():
    # At N = 200, t = 2: RK4 and Euler (dt = 0.01, first order) differ by far less than 1e-2 of the
    # order parameters (O(1)); the constant-T~ teacher term gives another, nonzero trajectory; the
    # book's ODE against itself gives zero.
    model = Model(N=200, D=100, g="erf")
    cell = study.gaussian_cell(model, 0, 2, 2.0, points=10)
    others = study.conventions(model, 0, 2.0, points=10, rk4_dt=0.05)
    gaps = study.convention_gaps(cell.ode, others)
    assert all(gaps["rk4"][n] < 1e-3 for n in gaps["rk4"]), gaps
    assert gaps["tilde"]["R"] > 0
    assert study.convention_gaps(cell.ode, {"self": cell.ode})["self"] == {"Q": 0.0, "R": 0.0, "v": 0.0}
