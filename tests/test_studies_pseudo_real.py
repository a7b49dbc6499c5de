"""The chapter layer of lib.studies.pseudo_real: PseudoRealChapter and chapter_results (the chapter's cached calls,
computable without the notebook tools), the tables and glued numbers, the figures; on tiny seeded problems."""
import json
from pathlib import Path

import numpy as np
import pytest

from lib.core.pseudo_real import FoldMoments, PseudoRealParams, PseudoTeacher, TeacherParams, TeacherStudy
from lib.core.validate import ParameterError
from lib.pipeline import chapters
from lib.studies.pseudo_real import (GAPS, INPUTS, Excess, FitSummary, MnistRun, PseudoRealChapter, appendix_excess,
                                     appendix_numbers, appendix_table, chapter_results, field_numbers, field_table,
                                     fit_numbers, fit_table, gaps_table, moment_numbers, moments_table,
                                     teacher_numbers, teacher_table, tlog_gaps)

STEM = "07_pseudo_real"
# A tiny version of the chapter (seconds on one core), as parameter overrides of its parameters cell.
TINY = {"P": 60, "D": 12, "iterations": 10, "teacher_iterations": 10, "n_teachers": 2, "n_random": 5,
        "appendix_teachers": 1, "runs": 2, "t_max": 0.5, "points": 5, "test_samples": 50, "field_samples": 500}


def _parameters(**overrides) -> dict:
    return {**chapters.parameter_defaults(STEM), **overrides}


def _entries(cache: Path) -> set[str]:
    return {str(p.relative_to(cache)) for p in cache.rglob("*.npz")}


# ------------------------------------------------------------------------------------------ the chapter's calls
def test_chapter_reads_its_parameters_cell():
    p = _parameters()
    ch = PseudoRealChapter.from_parameters(p)
    assert (ch.fit.P, ch.fit.D, ch.fit.f, ch.fit.iterations) == (p["P"], p["D"], p["fold"], p["iterations"])
    assert (ch.teacher.M, ch.teacher.iterations, ch.teacher.n_random) == (p["M"], p["teacher_iterations"],
                                                                          p["n_random"])
    assert ch.base == MnistRun(fit=ch.fit, teacher=ch.teacher, teacher_index=p["main_teacher"], K=p["K"], lr=p["lr"],
                               runs=p["runs"], t_max=p["t_max"], points=p["points"], seed=p["seed"],
                               test_samples=p["test_samples"])
    assert ch.indices[0] == p["main_teacher"] and len(ch.indices) == 1 + p["appendix_teachers"]


def test_appendix_teachers_follow_the_main_one():
    ch = PseudoRealChapter.from_parameters(_parameters(n_teachers=4, main_teacher=2, appendix_teachers=2))
    assert ch.indices == (2, 0, 1) and ch.base.teacher_index == 2


@pytest.mark.parametrize("bad", [{"main_teacher": 5}, {"appendix_teachers": 5}, {"main_teacher": -1}])
def test_teacher_indices_are_checked(bad):
    with pytest.raises(ParameterError, match="must be below n_teachers=5"):
        PseudoRealChapter.from_parameters(_parameters(**bad))


@pytest.mark.notebook
def test_chapter_results_makes_every_cached_call_of_the_chapter(tmp_path, monkeypatch):
    """chapter_results fills the cache with exactly what the chapter then reads: running the chapter afterwards,
    on the same parameters, adds no entry."""
    from lib.pipeline.run import execute

    cache = tmp_path / "cache"
    monkeypatch.setenv("HMM_CACHE_DIR", str(cache))
    chapter_results(_parameters(**TINY))
    before = _entries(cache)
    assert {e.split("/")[0] for e in before} >= {"fit_summary", "pseudo_teacher_study", "input_moments",
                                                 "mnist_dynamics", "teacher_field_summary"}
    try:
        execute(STEM, "quick", {**TINY, "results_from": "compute"}, out_dir=tmp_path / "out", quiet=True)
    except RuntimeError as err:
        # Claims may fail at this size (the fit has too few iterations); every cached call comes before them.
        cells = json.loads((tmp_path / "out" / f"{STEM}.ipynb").read_text())["cells"]
        failed = [c for c in cells if any(o["output_type"] == "error" for o in c.get("outputs", []))]
        assert "AssertionError" in str(err) and len(failed) == 1, err
        assert "claims.Registry(" in "".join(failed[0]["source"]), err
    assert _entries(cache) == before


# ------------------------------------------------------------------------------------------ tables and numbers
def _fit_summary() -> FitSummary:
    params = PseudoRealParams(P=40, D=10)
    stats = {"mse": 0.2, "F": 0.1, "C": 0.2, "S": 0.3, "F_max": 0.4, "C_max": 0.5, "S_max": 0.6}
    images = {k: np.zeros((3, 28, 28)) for k in ("targets", "fit", "kde", "standardized")}
    return FitSummary(params, stats, {k: v / 2 for k, v in stats.items()}, {"mean": 0.5, "zero": 0.9},
                      {"mse": np.arange(7.0)}, 3.4, np.arange(3), images, h_ratio=0.25,
                      pixel_var=np.array([0.5, 1.5]), corr_eig=np.array([0.2, 3.0]))


def _cells(markdown: str) -> list[list[str]]:
    """The body rows of a Markdown table (header and rule left out), each a list of stripped cells."""
    lines = [x for x in markdown.splitlines() if x.startswith("|")]
    assert lines[1].startswith("|---")
    return [[c.strip() for c in x.strip("|").split(" | ")] for x in lines[2:]]


def test_fit_table_and_numbers():
    fit = _fit_summary()
    text = fit_table(fit)
    rows = _cells(text)
    assert rows[0] == ["reconstruction mse", "0.2000", "0.1000", ""]
    # random levels: 1/sqrt(N = 784), 1/sqrt(P = 40), 1/sqrt(D = 10)
    assert [float(rows[i][-1]) for i in (1, 3, 5)] == pytest.approx(
        [1 / 28, 1 / np.sqrt(40), 1 / np.sqrt(10)], abs=1e-4)
    assert text.endswith("the fit took 3 s, 7 function evaluations.")
    nums = fit_numbers(fit)
    assert nums["mse_after"] == "0.100" and nums["rhoS_before"] == "0.300" and nums["h_ratio"] == "0.250"
    assert (nums["P"], nums["D"]) == ("40", "10")
    assert nums["rho_outcome"] == "The penalised correlations end *below* their random start"


def test_outcome_sentences_follow_the_numbers():
    """The prose's outcome sentences say what the numbers say, in each direction (no fixed wording)."""
    import dataclasses

    from lib.studies.pseudo_real import constants_outcome, correlation_outcome

    fit = _fit_summary()
    worse_C = dataclasses.replace(fit, after={**fit.after, "C": 0.34})             # before 0.2: 1.70x
    assert "$\\rho^C$ ends *above* it (1.70 times" in correlation_outcome(worse_C)
    both = dataclasses.replace(fit, after={**fit.after, "F": 0.2, "C": 0.3})
    assert "do *not* hold" in correlation_outcome(both)
    gaussian = {"Q": np.array([0.30, 0.32, 0.31, 0.33]), "eg": np.array([0.10, 0.11, 0.10, 0.12])}
    closer = {"Q": gaussian["Q"] - np.array([0.10, 0.11, 0.10, 0.12]), "eg": gaussian["eg"] + 0.01}
    assert constants_outcome(gaussian, closer, 0.01).endswith("for $Q$ but not for the test error")
    assert constants_outcome(gaussian, {k: v - 0.05 for k, v in gaussian.items()}, 0.01).endswith(
        "on $Q$ and on the test error")
    assert "do not bring" in constants_outcome(gaussian, gaussian, 0.01)


def _teacher_study() -> TeacherStudy:
    teachers = [PseudoTeacher(None, None, 0.9, acc, 0.1, 0.05, None) for acc in (0.8, 0.7)]
    return TeacherStudy(teachers, np.array([0.5, 0.45, 0.55, 0.5]), 12.3, 1.5e-4)


def test_teacher_table_and_numbers():
    study = _teacher_study()
    table = teacher_table(study)
    rows = _cells(table)
    assert [r[2] for r in rows[:2]] == ["0.800", "0.700"] and rows[2][0] == "random teachers (n = 4)"
    assert "p = 1.50e-04" in table
    ch = PseudoRealChapter.from_parameters(_parameters(P=200, n_teachers=2, main_teacher=1, appendix_teachers=1))
    nums = teacher_numbers(study, ch)
    assert nums["acc_main"] == "0.700" and nums["acc_range"] == "0.70 to 0.80" and nums["acc_random"] == "0.500"
    assert nums["n_test"] == "40" and nums["n_teachers"] == "2" and nums["teacher_p"] == "1.5e-04"


def test_moments_table_and_numbers():
    gauss = (0.0, 0.5642, 0.3333)
    mo = {"kde": FoldMoments(a=-0.5, b=2.0, c=0.8, u_mean=-3.0, u_var=4.0, n=100, gaussian=gauss),
          "standardized": FoldMoments(0.0, 0.56, 0.33, 0.0, 1.0, 100, gauss),
          "gaussian": FoldMoments(0.0, 0.56, 0.33, 0.0, 1.0, 100, gauss)}
    rows = _cells(moments_table(mo))
    assert len(rows) == 4 and rows[-1][0] == "N(0, 1)"
    # moment-matched b = (E[u f(u)] - E u a) / sd(u) = (2 - 1.5) / 2
    assert rows[0][-2] == "0.250"
    nums = moment_numbers(mo, _fit_summary())
    assert nums["lit_abc"] == "(-0.50, 2.00, 0.80)" and nums["mm_abc"] == "(-0.50, 0.25, 0.80)"
    assert nums["lit_gap"] == "-3.45" and nums["pixel_var"] == "0.50 to 1.50"


class _Dyn:
    """Stands for MnistDynamics in the gap statistics: tlog(const) -> per-run values, scale -> 1."""

    def __init__(self, level: float):
        self.level = level

    def tlog(self, const):
        shift = 0.0 if const == "corrected" else 0.5
        return {k: np.array([1.0, 1.2, 0.8]) * (self.level + shift) for k in GAPS}

    def scale(self, const, key):
        return 1.0


def test_tlog_gaps_are_ratios_to_the_floor_with_the_same_constants():
    cases = {"gaussian": _Dyn(1.0), "kde": _Dyn(4.0), "standardized": _Dyn(2.0)}
    gaps = tlog_gaps(cases)
    assert list(gaps) == [(n, c) for n in ("gaussian", "kde", "standardized") for c in ("gaussian", "corrected")]
    assert gaps[("kde", "corrected")][1]["Q"].ratio == pytest.approx(4.0)
    assert gaps[("kde", "gaussian")][1]["eg"].ratio == pytest.approx(4.5 / 1.5)
    assert gaps[("gaussian", "gaussian")][1]["v"].ratio == pytest.approx(1.0)
    assert gaps[("kde", "corrected")][1]["R"].p_value < 0.05 < gaps[("gaussian", "corrected")][1]["R"].p_value
    text = gaps_table(cases, gaps)
    rows = _cells(text)
    assert len(rows) == 6 and rows[3][:2] == ["kde", "corrected"] and rows[3][2].endswith("(4.0x)")
    assert text.endswith("Q 1.000, R 1.000, v 1.000, eg 1.000.")


def test_appendix_statistics():
    appendix = [(_Dyn(3.0), _Dyn(1.0)), (_Dyn(5.0), _Dyn(1.0))]
    ratios = appendix_excess(appendix)
    assert [r["eg"].ratio for r in ratios] == pytest.approx([3.0, 5.0])
    assert all(isinstance(e, Excess) for r in ratios for e in r.values())
    study = _teacher_study()
    assert appendix_numbers(appendix, [1, 0], study) == {"app_eg_ratio": "3.0 to 5.0", "app_acc": "0.70 to 0.80"}
    rows = _cells(appendix_table(appendix, [1, 0], study))
    assert rows[0][:4] == ["1", "0.900", "0.700", "0.0500"] and rows[1][5] == "5.0000 / 1.0000"


def _field(mean, var, exkurt) -> dict:
    a = lambda x: np.array(x, float)
    return {"mean": a(mean), "var": a(var), "skew": a([0.0, 0.1]), "exkurt": a(exkurt), "random_var": a([1, 1]),
            "random_skew": a([0, 0]), "random_exkurt": a([0.01, -0.02]), "se_skew": 0.017, "se_exkurt": 0.035,
            "hist_edges": np.tile(np.linspace(-3, 3, 5), (2, 1)), "hist_density": np.full((2, 4), 1 / 6)}


def test_field_table_and_numbers():
    fields = {"kde": _field([0.5, -0.25], [2.0, 3.0], [1.0, 2.0]), "standardized": _field([0, 0], [1, 1], [0.7, 0.3])}
    rows = _cells(field_table(fields))
    assert len(rows) == 4 and rows[2][:2] == ["standardized", "teacher field"] and rows[2][5] == "0.700, 0.300"
    nums = field_numbers(fields, _fit_summary())
    assert nums["nu_mean"] == "0.50, -0.25" and nums["nu_var"] == "2.00, 3.00" and nums["nu_kurt_std"] == "0.70, 0.30"
    assert nums["rand_kurt_std"] == "0.01, -0.02" and nums["se_kurt"] == "0.035" and nums["corr_eig"] == "0.20 to 3.00"


# ------------------------------------------------------------------------------------------ figures
def test_figures_have_their_panels():
    import matplotlib.pyplot as plt

    from lib.studies import pseudo_real_figures as figs

    fig = figs.images_figure(_fit_summary())
    assert len(fig.axes) == 4 * 3
    fig2 = figs.teacher_accuracy_figure(_teacher_study())
    assert len(fig2.axes) == 1 and len(fig2.axes[0].lines) == 2
    fields = {"kde": _field([0, 0], [1, 1], [0, 0]), "standardized": _field([0, 0], [1, 1], [0, 0])}
    fig3 = figs.field_figure(fields)
    assert len(fig3.axes) == 2
    gaps = tlog_gaps({"gaussian": _Dyn(1.0), "kde": _Dyn(4.0), "standardized": _Dyn(2.0)})
    fig4 = figs.gaps_figure(gaps)
    assert len(fig4.axes) == 1 and len(fig4.axes[0].patches) == 4 * len(GAPS)
    from lib.studies import style

    style.use()                            # issue 23: <= 10 in wide, every text >= 9 pt on screen
    for fig in (figs.images_figure(_fit_summary()), figs.teacher_accuracy_figure(_teacher_study()),
                figs.field_figure(fields), figs.gaps_figure(gaps)):
        assert style.legibility(fig)["ok"], style.legibility(fig)
    plt.close("all")


def test_dynamics_figures_on_a_tiny_run():
    import matplotlib.pyplot as plt

    from lib.studies import pseudo_real_figures as figs
    from lib.studies.pseudo_real import mnist_dynamics

    ch = PseudoRealChapter.from_parameters(_parameters(**TINY))
    kd = mnist_dynamics(ch.base)
    fig = figs.dynamics_figure(kd)
    assert len(fig.axes) == 4
    K, M = ch.base.K, ch.teacher.M
    # per component an SGD mean and the corrected ODE (v and eg: the Gaussian-constant ODE too)
    assert [len(ax.lines) for ax in fig.axes] == [2 * K * (K + 1) // 2, 2 * K * M, 3 * K, 3]
    fig2 = figs.appendix_figure([(kd, kd)], [ch.main_teacher], ch.teachers())
    assert len(fig2.axes) == 2 and len(fig2.axes[1].lines) == 2 * K
    from lib.studies import style

    style.use()
    for f in (figs.dynamics_figure(kd), figs.appendix_figure([(kd, kd)], [ch.main_teacher], ch.teachers())):
        assert style.legibility(f)["ok"], style.legibility(f)
    plt.close("all")
