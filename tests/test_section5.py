"""Unit tests of lib.studies.universality: Table 1 moments, the projection cumulants, the divergence-guarded comparison
and the floor statistics."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lib.studies import universality as s5
from lib.measures.compare import Comparison, compare
from lib.core.inputs import make_distribution
from lib.core.model import Model
from lib.core.validate import ParameterError

# ---------------------------------------------------------------------------------------- Table 1

SCIPY = {  # an independent route to the same moments
    ("uniform", (("high", 3.0), ("low", -1.0))): stats.uniform(loc=-1.0, scale=4.0),
    ("beta", (("a", 0.5), ("b", 0.5))): stats.beta(0.5, 0.5),
    ("beta", (("a", 2.0), ("b", 5.0))): stats.beta(2.0, 5.0),
    ("poisson", (("rate", 1.0),)): stats.poisson(1.0),
    ("poisson", (("rate", 3.0),)): stats.poisson(3.0),
    ("laplace", (("scale", 2.0),)): stats.laplace(scale=2.0),
    ("pareto", (("shape", 5.0),)): stats.pareto(5.0),
    ("pareto", (("shape", 7.5),)): stats.pareto(7.5),
}


@pytest.mark.parametrize("key", list(SCIPY))
def test_law_moments_match_scipy(key):
    dist, params = key
    mo = s5.law_moments(dist, **dict(params))
    mean, var, skew, exk = (float(x) for x in SCIPY[key].stats(moments="mvsk"))
    # both are closed forms: agreement to rounding
    assert mo.mean == pytest.approx(mean, rel=1e-10, abs=1e-12)
    assert mo.var == pytest.approx(var, rel=1e-10)
    assert mo.skew == pytest.approx(skew, rel=1e-9, abs=1e-12)
    assert mo.exkurt == pytest.approx(exk, rel=1e-9, abs=1e-12)


def test_heavy_tails_give_infinite_or_missing_moments():
    p25 = s5.law_moments("pareto", shape=2.5)          # finite variance, no third or fourth moment
    assert math.isfinite(p25.var) and p25.skew == math.inf and p25.exkurt == math.inf
    assert p25.finite_variance and not p25.finite_kurtosis
    p35 = s5.law_moments("pareto", shape=3.5)          # skewness finite, kurtosis not
    assert math.isfinite(p35.skew) and p35.exkurt == math.inf
    lor = s5.law_moments("lorentz")
    assert all(math.isnan(x) for x in (lor.mean, lor.var, lor.skew, lor.exkurt)) and not lor.finite_variance


def test_mixture_moments_match_quadrature():
    d = make_distribution("gmm", 1, seed=3, alpha=5.0, m=3)
    pdf = lambda x: float(d.weights @ stats.norm.pdf(x - d.means))
    raw = [integrate.quad(lambda x, n=n: x**n * pdf(x), -40, 40, limit=400, epsabs=1e-12)[0] for n in (1, 2, 3, 4)]
    mean, c2 = raw[0], raw[1] - raw[0] ** 2
    z = lambda x: (x - mean) / math.sqrt(c2)
    skew = integrate.quad(lambda x: z(x) ** 3 * pdf(x), -40, 40, limit=400, epsabs=1e-12)[0]
    exk = integrate.quad(lambda x: z(x) ** 4 * pdf(x), -40, 40, limit=400, epsabs=1e-12)[0] - 3
    mo = s5.law_moments("gmm", seed=3, alpha=5.0, m=3)
    # quadrature to ~1e-10 on O(1-100) integrands
    assert (mo.mean, mo.var, mo.skew, mo.exkurt) == pytest.approx((mean, c2, skew, exk), rel=1e-7, abs=1e-8)
    assert abs(mo.skew) > 0.05 or abs(mo.exkurt) > 0.5    # this mixture is clearly non-Gaussian


@pytest.mark.parametrize("spec, name", [(["b", "beta", {"a": 0.0}], "a"), (["p", "poisson", {"rate": -1}], "rate"),
                                        (["x", "pareto", {"shape": 0}], "shape"), (["u", "uniform", {"low": 2}], "high"),
                                        (["q", "laplace", {"width": 1}], "width")])
def test_bad_law_parameters_name_the_parameter(spec, name):
    with pytest.raises(ParameterError, match=name):
        s5.make_laws([spec])


def test_make_laws_rejects_duplicate_labels_and_describes_parameters():
    with pytest.raises(ParameterError, match="unique"):
        s5.make_laws([["a", "uniform"], ["a", "laplace"]])
    (law,) = s5.make_laws([["arcsine", "beta", {"a": 0.5, "b": 0.5}]])
    assert law.describe() == "a = 0.5, b = 0.5"
    rows = s5.table1(s5.make_laws([["G", "gaussian"], ["L", "laplace"]]))
    assert [r["exkurt"] for r in rows] == [0.0, 3.0]


def test_projected_cumulants_follow_the_weighted_sum_formula():
    # uniform coordinates in D = 4: kappa_4(u) = -1.2 sum w^4 / |w|^4, between -1.2 and -0.3; measured
    # with n = 40000 draws. The sample excess kurtosis of a light-tailed law has a standard error below the
    # Gaussian sqrt(24 / n) = 0.024; 5 of those is the tolerance.
    law = s5.Law("u", "uniform")
    r = s5.projected_cumulants(law, 4, samples=40_000, directions=4, seed=1)
    assert np.all(np.abs(r["exkurt"] - r["exkurt_pred"]) < 5 * r["se_exkurt"]), (r["exkurt"], r["exkurt_pred"])
    assert np.all(np.abs(r["skew"]) < 5 * r["se_skew"])          # symmetric law: zero skewness
    assert np.all(r["exkurt_pred"] < -0.25)                      # and the formula predicts a clear effect
    lor = s5.projected_cumulants(s5.Law("c", "lorentz"), 4, samples=40_000, directions=2, seed=1)
    assert np.all(np.isnan(lor["exkurt_pred"])) and np.all(lor["exkurt"] > 50)   # no kurtosis: sample value explodes


# ------------------------------------------------------------------------------ guarded comparison

SMALL = Model(N=60, D=30, K=2, M=2, lr=0.2, f="sgn", g="relu")


def test_guarded_compare_equals_compare_without_divergence():
    c = s5.comparison(SMALL, s5.Law("lap", "laplace"), runs=3, t_max=1.0, points=8, test_samples=50)
    out = s5.guarded_compare(c)
    ref = compare(c)
    assert out.diverged == 0 and list(out.survivors) == [0, 1, 2]
    # same runs, same arithmetic: the per-run tLog-RMSE agrees to float rounding
    assert np.allclose(out.tlog["Q"], ref.tlog["Q"].reshape(3, -1).mean(1), rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(out.tlog["eg"]))


def test_guarded_compare_keeps_survivors_of_a_divergent_batch():
    # Cauchy labels with a large learning rate blow up some ReLU runs within t = 3
    model = Model(N=60, D=30, K=2, M=2, lr=2.0, f="sgn", g="relu")
    c = s5.comparison(model, s5.Law("c", "lorentz"), runs=4, t_max=3.0, points=8, test_samples=20,
                      standardize_samples=100)
    out = s5.guarded_compare(c)
    assert out.diverged >= 1, "expected at least one divergent run in this setting"
    bad = np.isfinite(out.t_diverged)
    assert np.all(np.isinf(out.tlog["Q"][bad])) and np.all(out.t_diverged[bad] <= 3.0)
    assert sorted(out.survivors.tolist() + np.flatnonzero(bad).tolist()) == [0, 1, 2, 3]
    if out.survivors.size:                                  # a survivor is the same run as in a batch of one
        r = int(out.survivors[0])
        alone = s5.guarded_compare(Comparison(**{**c.__dict__, "runs": r + 1}))
        assert alone.tlog["Q"][r] == pytest.approx(out.tlog["Q"][r], rel=1e-9)
        assert np.isnan(out.result.sgd.meta["t_diverged"]).all()


def test_a_batch_of_laws_gives_each_law_what_it_gives_alone():
    laws = [s5.Law("g", "gaussian"), s5.Law("lap", "laplace"), s5.Law("u", "uniform")]
    both = s5.sweep(SMALL, laws, runs=2, t_max=1.0, points=6)
    assert list(both) == ["g", "lap", "u"]
    for law in laws:
        alone = s5.guarded_compare(s5.comparison(SMALL, law, runs=2, t_max=1.0, points=6))
        for name in s5.GAPS:
            assert np.allclose(both[law.label].tlog[name], alone.tlog[name], rtol=1e-9)
    # a batch must share the model and the recording: mixing two models is refused, naming what differs
    c1 = s5.comparison(SMALL, laws[0], runs=2, t_max=1.0)
    c2 = s5.comparison(Model(N=60, D=30, K=2, M=2, lr=0.1), laws[0], runs=2, t_max=1.0)
    with pytest.raises(ParameterError, match="model"):
        s5.guarded_batch((c1, c2))


def _outcome(values) -> s5.Outcome:
    x = np.asarray(values, dtype=float)
    c = Comparison(model=SMALL, runs=x.size)
    return s5.Outcome(c, None, np.arange(x.size), np.where(np.isinf(x), 1.0, np.nan),
                      {name: x.copy() for name in s5.GAPS})


def test_floor_test_by_hand():
    outs = {"G": _outcome([1.0, 2.0, 3.0]), "A": _outcome([2.0, 4.0, 6.0]), "far": _outcome([50.0, 60.0, 55.0]),
            "div": _outcome([np.inf, 3.0, 2.0])}
    ft = s5.floor_test(outs, "G", ["A"], "Q", level=0.01)
    sd = math.sqrt((2 + 8) / 4)                     # sums of squares 2 and 8, dof 2 + 2
    assert ft.pooled_sd == pytest.approx(sd) and ft.dof == 4 and ft.floor == pytest.approx(2.0)
    assert ft.t["A"] == pytest.approx(2.0 / (sd * math.sqrt(2 / 3)))
    assert ft.t_crit == pytest.approx(stats.t.ppf(0.99, 4))
    assert ft.passes("A") and not ft.passes("far") and not ft.passes("div") and ft.mean["div"] == math.inf
    assert np.all(s5.excess_in_margins(outs["far"], ft, 3) > 1) and s5.excess_in_margins(outs["div"], ft, 3)[0] == np.inf
    with pytest.raises(ParameterError, match="diverged"):
        s5.floor_test(outs, "G", ["div"], "Q")


def test_floor_test_false_alarm_rate():
    # under the null (every law's runs from one normal distribution) a law fails at the nominal rate;
    # 4000 trials at level 0.05: binomial standard error 0.0034, tolerance 4 of those
    rng = np.random.default_rng(0)
    fails = 0
    trials = 4000
    for _ in range(trials):
        outs = {k: _outcome(rng.normal(1.0, 0.2, 4)) for k in ("G", "a", "b")}
        fails += not s5.floor_test(outs, "G", ["a", "b"], "v", level=0.05).passes("a")
    assert abs(fails / trials - 0.05) < 4 * math.sqrt(0.05 * 0.95 / trials), fails / trials


# ---------------------------------------------------------------------------------- settings

def test_settings_vary_one_ingredient_at_a_time():
    assert s5.settings(["relu"], ["sgn"]) == [("relu", "sgn")]
    assert s5.settings(["relu", "erf"], ["sgn", "tanh"]) == [("relu", "sgn"), ("erf", "sgn"), ("relu", "tanh")]
    assert s5.settings(["relu", "erf"], ["sgn", "tanh"], cross=True) == [
        ("relu", "sgn"), ("erf", "sgn"), ("relu", "tanh"), ("erf", "tanh")]
    assert s5.settings(["erf"], ["tanh", "sgn", "relu"])[1:] == [("erf", "sgn"), ("erf", "relu")]
    with pytest.raises(ParameterError, match="activations"):
        s5.settings(["tanh"], ["sgn"])
    with pytest.raises(ParameterError, match="folds"):
        s5.settings(["relu"], ["cube"])
    with pytest.raises(ParameterError, match="repeat"):
        s5.settings(["relu", "relu"], ["sgn"])
    with pytest.raises(ParameterError, match="at least one"):
        s5.settings([], ["sgn"])
