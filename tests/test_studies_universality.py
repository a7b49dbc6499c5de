"""Unit tests of lib.studies.universality_summary (the chapter 06_universality as one object) and of the
tables and figures of lib.studies.universality_figures, on a tiny seeded setting (N = 40, 3 runs, t_max = 2)."""
import math
import re

import matplotlib.figure
import numpy as np
import pytest

from lib.core import paths
from lib.core.validate import ParameterError
from lib.measures import excess
from lib.studies import universality as s5
from lib.studies import universality_figures as figures
from lib.studies.universality_summary import NOT_RUN, PARAMETERS, Universality

TINY = dict(N=40, D=20, K=2, M=2, lr=0.2, activations=["relu"], folds=["sgn", "tanh"], cross=False,
            laws=[["Gaussian", "gaussian", {}], ["uniform", "uniform", {}], ["Laplace", "laplace", {"scale": 1.0}],
                  ["Lorentz", "lorentz", {"scale": 1.0}]],
            heavy_laws=[["Pareto, shape 2.5", "pareto", {"shape": 2.5}]], reference="Gaussian",
            appendix_laws=["Gaussian", "uniform", "Laplace", "Lorentz"], appendix_study=False,
            study=["Lorentz", "Pareto, shape 2.5"], study_sizes=[100, 1000], runs=3, t_max=2.0, points=6,
            level=0.001, far=10.0, cumulant_samples=400, seed=0, replicate_seeds=[1],
            replicate_setting=["relu", "tanh"], replicate_laws=["Gaussian", "uniform", "Laplace"],
            replicate_N=[20, 40])


@pytest.fixture(scope="module")
def u():
    return Universality(**TINY)


def test_parameters_are_those_of_the_chapter():
    text = (paths.NOTEBOOKS / "06_universality.py").read_text()
    cell = text.split('# %% tags=["parameters"]')[1].split("# %%")[0]
    names = re.findall(r"^(\w+) =", cell, flags=re.M)
    assert sorted(PARAMETERS) == sorted(n for n in names if n != "results_from")


@pytest.mark.parametrize("change, name", [
    ({"reference": "Pareto, shape 2.5"}, "reference"),            # a law, but not one of Table 1
    ({"heavy_laws": [["uniform", "pareto", {"shape": 2.5}]]}, "distinct"),
    ({"study": ["Cauchy"]}, "study"),
    ({"appendix_laws": ["uniform"]}, "appendix_laws"),
    ({"replicate_setting": ["erf", "sgn"]}, "replicate_setting"),
    ({"replicate_laws": ["uniform", "Laplace"]}, "replicate_laws"),
    ({"replicate_laws": ["Gaussian", "Lorentz"]}, "replicate_laws"),
    ({"replicate_N": [1]}, "replicate_N"),
    ({"replicate_seeds": [0]}, "replicate_seeds"),
    ({"replicate_seeds": [1, 1]}, "replicate_seeds"),
])
def test_bad_parameters_name_the_parameter(change, name):
    with pytest.raises(ParameterError, match=name):
        Universality(**{**TINY, **change})


def test_missing_or_unknown_parameter_is_an_error():
    with pytest.raises(ParameterError, match="missing"):
        Universality(**{k: v for k, v in TINY.items() if k != "far"})
    with pytest.raises(ParameterError, match="unknown"):
        Universality(**TINY, results_from="auto")


def test_setup_settings_and_laws(u):
    assert u.combos == [("relu", "sgn"), ("relu", "tanh")] and u.main == ("relu", "sgn")
    assert [law.label for law in u.laws_of[u.main]] == list(u.by_label)          # the main setting runs them all
    assert "Pareto, shape 2.5" not in [law.label for law in u.laws_of[("relu", "tanh")]]
    assert u.finite_table == ["Gaussian", "uniform", "Laplace"]                    # Table 1, with a variance
    assert u.finite_labels == ["Gaussian", "uniform", "Laplace", "Pareto, shape 2.5"]
    assert u.lorentz == ["Lorentz"] and u.heavy == ["Pareto, shape 2.5"]
    assert u.rep_tested == ["uniform", "Laplace"] and u.rep_seeds == [0, 1]


def test_weakest_non_gaussian_law_and_missing_moments_count_as_far():
    u = Universality(**TINY)
    assert u.weakest_non_gaussian() == (pytest.approx(1.2), "uniform")            # |exkurt| of the uniform law
    only_lorentz = [TINY["laws"][0], TINY["laws"][3]]
    v = Universality(**{**TINY, "laws": only_lorentz, "appendix_laws": ["Gaussian"], "replicate_seeds": [],
                        "replicate_laws": [], "study": []})
    assert v.weakest_non_gaussian() == (math.inf, "Lorentz")


def test_family_wise_critical_value_counts_the_law_metric_tests(u):
    for combo in u.combos:
        assert u.n_tests[combo] == 4 * 2                                            # uniform, Laplace; 4 metrics
        dof = u.tests[combo]["Q"].dof
        assert dof == 3 * (3 - 1)                      # pooled over Gaussian, uniform, Laplace (Lorentz: no 4th moment)
        assert u.t_fw[combo] == pytest.approx(excess.family_t(u.level, 8, dof))
        assert u.t_fw[combo] > u.tests[combo]["Q"].t_crit


def test_worst_is_the_largest_t_of_the_finite_variance_laws(u):
    for combo in u.combos:
        t = u.tests[combo]
        brute = max((t[n].t[x], x, n) for n in s5.GAPS for x in ("uniform", "Laplace"))
        assert u.worst(combo) == brute


def test_floor_tests_agree_with_floor_test_on_the_sweeps(u):
    pool = ["uniform", "Laplace"]                      # the laws with a fourth moment but the reference
    for combo in u.combos:
        for name in s5.GAPS:
            direct = s5.floor_test(u.sweeps[combo], "Gaussian", pool, name, level=u.level)
            assert u.tests[combo][name] == direct


def test_run_ratio_and_run_excess_per_run(u):
    o, combo = u.sweeps[u.main]["Laplace"], u.main
    ratio = u.run_ratio(o, combo)
    expected = np.max([o.tlog[n] / u.tests[combo][n].floor for n in s5.GAPS], axis=0)
    assert ratio.shape == (u.runs,) and np.array_equal(ratio, expected)
    ex = u.run_excess(o, combo)
    assert ex.shape == (u.runs,)
    assert np.all(ex == np.max([s5.excess_in_margins(o, u.tests[combo][n], u.runs) for n in s5.GAPS], axis=0))
    diverged = s5.Outcome(o.comparison, None, np.array([], dtype=int), np.array([0.5, 1.0, 1.5]),
                          {n: np.full(3, np.inf) for n in s5.GAPS})
    assert np.all(np.isinf(u.run_ratio(diverged, combo))) and np.all(np.isinf(u.run_excess(diverged, combo)))


def test_seed_study_rows_and_failures(u):
    assert list(u.seed_study) == [0, 1]
    for sd, row in u.seed_study.items():
        fts = u.replicate(sd)
        for x, (ratio, (t, metric)) in row.items():
            assert ratio == max(fts[n].ratio(x) for n in s5.GAPS)
            assert t == fts[metric].t[x] == max(fts[n].t[x] for n in s5.GAPS)
    assert u.rep_fw == pytest.approx(excess.family_t(u.level, 8, u.replicate(1)["Q"].dof))
    assert u.rep_fail == [(sd, x) for sd, row in u.seed_study.items() for x, (_, (t, _n)) in row.items()
                          if t >= u.rep_fw]
    assert u.rep_worst() == max(t for row in u.seed_study.values() for _, (t, _n) in row.values())


def test_the_main_seed_at_the_main_size_reuses_the_main_runs(u):
    fts = u.replicate(u.seed)
    direct = s5.floor_test({x: u.sweeps[u.rep_combo][x] for x in u.replicate_laws}, "Gaussian",
                           u.rep_pool, "Q", level=u.level)
    assert fts["Q"] == direct
    assert u.replicate(u.seed, u.N) is fts                                           # memoised, same key


def test_size_study_covers_every_size_and_seed(u):
    assert sorted(u.size_study) == [(20, 0), (20, 1), (40, 0), (40, 1)]
    assert len(u.size_points) == 4 * len(u.rep_tested)
    assert u.fit is not None and u.fit.Ns == (20, 40)
    assert u.fit.geo[20] == pytest.approx(math.exp(np.mean([excess.mean_log_ratio(u.size_study[20, sd], u.rep_tested)
                                                             for sd in (0, 1)])))


def test_exact_study_differs_only_by_the_standardisation(u):
    assert list(u.exact_study) == [0, 1]
    for sd, (log_s, log_x, worst_x) in u.exact_study.items():
        assert log_s == excess.mean_log_ratio(u.replicate(sd), u.rep_tested)
        assert log_x == excess.mean_log_ratio(u.replicate(sd, exact=True), u.rep_tested)
        assert worst_x == excess.largest_t(u.replicate(sd, exact=True), u.rep_tested)


def test_sample_size_study_lorentz_and_heavy(u):
    studies, exact = u.sample_sizes
    assert list(studies) == [u.main]                                               # appendix_study is False
    assert [len(studies[u.main][x]) for x in u.study] == [2, 2]
    assert list(exact[u.main]) == ["Pareto, shape 2.5"]                            # only a law with a variance
    assert sorted(u.lor_excess) == [(("relu", "sgn"), "Lorentz"), (("relu", "tanh"), "Lorentz")]
    assert len(u.lor_excess[(u.main, "Lorentz")][1]) == 2 and u.lor_excess[(("relu", "tanh"), "Lorentz")][1] == []
    assert list(u.heavy_stats) == [(u.main, "Pareto, shape 2.5")]
    s = u.scales["Lorentz"]
    assert u.slope == pytest.approx(np.polyfit(np.log(s["n"]), np.log(s["median"]), 1)[0])
    ratio, eg0, egT = u.moved[u.main]
    assert ratio > 0 and eg0 == u.sweeps[u.main]["Gaussian"].result.ode.eg[0, 0]


def test_every_glued_name_of_the_chapter_is_produced(u):
    text = (paths.NOTEBOOKS / "06_universality.py").read_text()
    used = set(re.findall(r"\{glue:text\}`(\w+)`", text)) | set(re.findall(r"\{glue:figure\} (\w+)", text))
    glued = set(re.findall(r'glue\("(\w+)"', text))
    assert used <= glued | set(u.texts())
    texts = u.texts()
    assert texts["n_tests"] == "8" and texts["rep_seeds"] == "2" and texts["size_Ns"] == "20, 40"
    assert texts["lor_sizes"] == "100, 1000" and texts["app_settings"] == "g = relu, f = tanh"


def test_studies_not_run_give_placeholders_and_empty_tables():
    v = Universality(**{**TINY, "replicate_seeds": [], "folds": ["sgn"], "replicate_setting": ["relu", "sgn"]})
    assert v.seed_study == {} and v.size_study == {} and v.fit is None and v.exact_study == {}
    assert set(v.seed_texts().values()) == set(v.size_texts().values()) == set(v.exact_texts().values()) == {NOT_RUN}
    assert figures.seed_table(v) == figures.size_table(v) == figures.exact_table(v) == ""
    assert v.appendix_texts()["app_settings"] == "(none under these parameters)"
    for fig in (figures.appendix(v), figures.excess_versus_n(v.size_points, v.fit, v.rep_tested, 2.0)):
        assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 1


def test_table_entries_and_shapes(u):
    assert figures.fmt(math.nan) == "none" and figures.fmt(math.inf) == "∞" and figures.fmt(1.23456, 3) == "1.235"
    assert figures.moments_exist(math.inf) == "all" and figures.moments_exist(2.5) == "order < 2.5"
    t1 = figures.table1(u).splitlines()
    assert len(t1) == 2 + 5 and "(ours)" in t1[-1] and "| none | none | order < 1 |" in t1[-2]
    ft = figures.floor_table(u, u.main).splitlines()
    assert len(ft) == 2 + 5 + 2 and ft[-1].endswith(f"{u.t_fw[u.main]:.2f} |")
    assert len(figures.seed_table(u).splitlines()) == 2 + 2 + 1
    assert len(figures.size_table(u).splitlines()) == 2 + 2
    st = figures.settings_table(u).splitlines()
    assert len(st) == 2 + 5 + 1 and st[-2].endswith("| – |")                       # heavy Pareto: main only
    assert "inf" not in figures.settings_table(u)          # a law whose runs all diverged says so, not "≥ inf×"


def test_figures_return_figures_with_their_panels(u):
    figs = {8: figures.dynamics(u.sweeps[u.main], u.finite_table, u.reference),
            1: figures.t_statistics(u.tests[u.main], u.finite_labels, u.t_fw[u.main], u.level),
            4: figures.lorentz_breakdown(u), 2: figures.appendix(u)}
    for n_axes, fig in figs.items():
        assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == n_axes
    fig = figures.excess_versus_n(u.size_points, u.fit, u.rep_tested, u.N / u.D)
    assert len(fig.axes) == 1 and len(figures.placeholder("not run").axes) == 1


def test_figures_are_legible_at_the_column_width(u):
    """Issue 23: at most 10 inches wide, every text at least 9 pt on screen (lib.studies.style.legibility)."""
    from lib.studies import style

    style.use()
    figs = {"dynamics": figures.dynamics(u.sweeps[u.main], u.finite_table, u.reference),
            "t": figures.t_statistics(u.tests[u.main], u.finite_labels, u.t_fw[u.main], u.level),
            "size": figures.excess_versus_n(u.size_points, u.fit, u.rep_tested, u.N / u.D),
            "lorentz": figures.lorentz_breakdown(u), "appendix": figures.appendix(u)}
    for name, fig in figs.items():
        leg = style.legibility(fig)
        assert leg["ok"], (name, leg)


def test_table1_shapes_split_drawn_mixtures_from_fixed_laws():
    v = Universality(**{**TINY, "laws": TINY["laws"] + [["mixture", "gmm", {"alpha": 9.0, "m": 2}]]})
    fixed, drawn = v.table1_shapes()
    assert set(fixed) == {"uniform", "Laplace", "Lorentz"} and set(drawn) == {"mixture"}
    assert fixed["Lorentz"] == math.inf and fixed["uniform"] == pytest.approx(1.2)


def test_chapter_checks_from_the_summary(u):
    from lib.studies import checks_v

    checks = {c.id: c for c in checks_v.universality_checks(u)}
    assert "V.2.table1-non-gaussian" in checks and "V.2.lorentz-relu-sgn" in checks
    assert checks["V.2.table1-non-gaussian"].passed        # uniform and Laplace have fixed non-Gaussian shapes
    for c in checks.values():
        assert c.record["id"] == c.id and isinstance(c.passed, bool)


def test_replicate_seeds_are_offsets_from_the_chapter_seed():
    v = Universality(**{**TINY, "seed": 5, "replicate_seeds": [1, 2]})
    assert v.rep_seeds == [5, 6, 7]
