"""lib.studies.forensics and forensics_fields: the pieces of the chapter 'Why the numbers differ'."""
import math

import numpy as np
import pytest
import torch

from lib.core.model import Model, init_weights
from lib.core.ode import ODEState, integrate_ode
from lib.core.validate import ParameterError
from lib.measures.paper_tables import PAPER_TABLES
from lib.studies import forensics as fz
from lib.studies import forensics_fields as ff


def test_mp_bins_have_the_law_mean_and_support():
    q = 0.5
    v = fz.mp_bin_values(q, 50)
    lo, hi = (1 - math.sqrt(q)) ** 2, (1 + math.sqrt(q)) ** 2
    assert np.all(np.diff(v) > 0) and lo < v[0] and v[-1] < hi
    assert v.mean() == pytest.approx(1.0, abs=1e-3)          # equal-mass bins: the mean of the MP law, 1


def test_binning_keeps_the_order_parameters():
    model = Model(N=40, D=20, g="erf")
    w = init_weights(model, seed=1, share_student=True)
    st = ODEState.from_weights(model, w)
    for bins in (1, 4, 20):
        b = fz.binned_state(st, bins, 0.5)
        for k in ("Q", "R"):                   # group means keep the means over tau that Q and R are made of
            np.testing.assert_allclose(b.order_parameters()[k].numpy(), st.order_parameters()[k].numpy(), atol=1e-12)
    with pytest.raises(ParameterError):
        fz.binned_state(st, 3, 0.5)


def test_many_bins_follow_the_exact_ode():
    model = Model(N=200, D=100, g="erf")
    w = init_weights(model, seed=0, share_student=True)
    st = ODEState.from_weights(model, w)
    t = np.linspace(0, 2, 5)
    exact = integrate_ode(st, model.lr, 2.0, times=t)
    fine = integrate_ode(fz.binned_state(st, 100, 0.5), model.lr, 2.0, times=t)
    coarse = integrate_ode(fz.binned_state(st, 2, 0.5), model.lr, 2.0, times=t)
    err = lambda tr: np.abs(tr.Q - exact.Q).max()
    assert err(fine) < err(coarse)


def _candidate(scale):
    c = fz.Candidate("test", "metric")
    for g in ("erf", "relu"):
        c.rows[g] = scale * np.asarray(PAPER_TABLES[fz.TABLE_OF[g]]["rows"]["alpha=0"], float)
        c.sems[g] = 0.01 * c.rows[g]
    return c


def test_judge():
    v = fz.judge(_candidate(1.0))
    assert v.reproduces and v.agree == 20 and v.decided
    half = fz.judge(_candidate(0.5))
    assert not half.reproduces and half.decided and half.agree == 0
    assert half.group_ratio("erf")["Q diag"] == pytest.approx(0.5)
    wide = _candidate(1.0)
    wide.sems = {g: 0.5 * r for g, r in wide.rows.items()}      # a band wider than a factor 1.5: undecided
    assert not fz.judge(wide).decided and not fz.judge(wide).reproduces


def test_slope_by_hand():
    Ns = np.array([100, 200, 400])
    s, n = ff.slope(Ns, 1.0 / Ns, np.full(3, 1e-6))
    assert s == pytest.approx(-1.0) and n == 3
    assert ff.slope(Ns, 1.0 / Ns, np.ones(3)) == (None, 0)


def test_field_moments_gaussian_vs_one_label():
    g = ff.field_moments("Gaussian", 60, samples=4000, seed=0)
    one = ff.field_moments("mixture, one label", 60, samples=4000, seed=0)
    dev_g, se_g = g.deviation()
    dev_1, se_1 = one.deviation()
    assert dev_1 > 0.3 and dev_1 > 10 * se_1             # the spike: an O(1) change of the second moments
    assert dev_g < 0.3                                   # Gaussian: finite-size and sampling error only
    np.testing.assert_allclose(g.pred, g.pred.T)
    assert g.gg_pred["erf"].shape == (2, 2)


def test_spike_pair_tiny():
    setup = fz.PairSetup(g="erf", N=40, D=20, runs=2, t_max=0.5, points=5)
    r = fz.spike_pair(setup, (3.0,), 2)
    assert r.a["Q"].shape == (1, 2) and r.b["Q"].shape == (1, 2) and r.floor["Q"].shape == (2,)
    assert np.all(np.isfinite(r.gap_ab["Q"])) and np.all(r.null_ab["Q"] > 0)
    assert r.Q_a.shape == (1, r.t.size, 2, 2) and r.spike[0] > 1


def test_stored_gaussian_runs_are_found():
    index = fz._stored_index()
    keys = [k for k in index if k[0] == "erf" and k[1:4] == (1000, 500, 0.2) and k[5] == 100.0]
    if not keys:
        pytest.skip("no stored paper-scale Section IV runs in this checkout")
    assert {k[7] for k in keys} >= set(range(10))


def test_chapter_parameters_are_checked():
    base = dict(activations=["relu"], N=40, D=20, lr=0.2, seed=0, floor_seeds=[0], floor_runs=2, floor_t_max=1.0,
                floor_stored=False, ode_bins=[5], ode_seeds=[0], lrs=[], lr_runs=2, lr_t_max=1.0, spike_alphas=[3],
                spike_m=2, spike_runs=2, spike_t_max=0.5, field_laws=["Gaussian"], field_Ns=[20, 40], field_samples=400)
    fz.Chapter(**base)
    for bad in (dict(ode_seeds=[1]), dict(ode_bins=[3]), dict(spike_alphas=[0]), dict(field_laws=["uniform"]),
                dict(activations=["tanh"])):
        with pytest.raises(ParameterError):
            fz.Chapter(**{**base, **bad})


def test_selection_only_lowers():
    rng = np.random.default_rng(0)
    t = np.array([0.0, 0.1, 1.0])

    class R:      # a minimal ComparisonResult: SGD runs around an ODE
        def __init__(self):
            from types import SimpleNamespace
            self.sgd = SimpleNamespace(t=t, Q=rng.normal(size=(6, 3, 2, 2)), R=rng.normal(size=(6, 3, 2, 2)),
                                       v=rng.normal(size=(6, 3, 2)))
            self.ode = SimpleNamespace(t=t, Q=np.zeros((1, 3, 2, 2)), R=np.zeros((1, 3, 2, 2)), v=np.zeros((1, 3, 2)))

    floors = {"erf": [R(), R()]}
    base = fz.metric_candidates(floors)[0]
    sel = fz.selection_candidate(floors)
    assert sel.rows["erf"].mean() < base.rows["erf"].mean()
