"""lib.studies.ode_vs_sgd, the chapter-level part: chapter_data / chapter_results (the cached calls of
notebooks/02b_ode.py), the summaries its tables, prose and checks read, and the figures
(lib.studies.ode_vs_sgd_figures). The studies' own arithmetic is tested in tests/test_ode_study.py."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.core.validate import ParameterError
from lib.measures.paper_tables import PAPER_TABLES
from lib.pipeline.chapters import parameter_defaults
from lib.studies import ode_vs_sgd as study

TINY = {"activations": ["erf", "relu"], "N": 40, "D": 20, "runs": 2, "t_max": 1.0, "N_values": [20, 40],
        "seeds": 2, "conv_runs": 2, "conv_t_max": 0.5, "points": 8}


@pytest.fixture(scope="module")
def data():
    return study.chapter_data({**parameter_defaults("02b_ode"), **TINY})


def test_parameters_are_those_of_the_chapter():
    # PARAMETERS names every parameter of the chapter's parameters cell except where results come from
    assert set(study.PARAMETERS) == set(parameter_defaults("02b_ode")) - {"results_from"}


def test_chapter_data_holds_one_result_per_activation(data):
    assert data.activations == ["erf", "relu"]
    for g in data.activations:
        assert data.models[g].g == g and data.models[g].N == 40 and data.models[g].D == 20
        assert data.cells[g].sgd.runs == 2 and set(data.conventions[g]) == {"tilde", "rk4"}
        conv = data.convergence[g]
        assert list(conv.N) == [20, 40] and conv.per_run["Q"].shape == (2, 2, 2)
        assert data.studies[g].t_max == 0.5 and data.studies[g].runs == 2
    assert "results_from" not in data.p


def test_chapter_data_rejects_bad_parameters():
    p = {**parameter_defaults("02b_ode"), **TINY}
    with pytest.raises(ParameterError, match="activations"):
        study.chapter_data({**p, "activations": ["erf", "erf"]})
    with pytest.raises(ParameterError, match="activations"):
        study.chapter_data({**p, "activations": []})
    with pytest.raises(ParameterError, match="rk4_dt"):
        study.chapter_data({k: v for k, v in p.items() if k != "rk4_dt"})


def test_start_gaps_are_rounding(data):
    t0, t0_ode, t0_sgd = study.start_gaps(data)
    assert set(t0) == {"erf", "relu"}
    assert t0_ode == max(t0[g][n] for g in t0 for n in "QRv") and t0_ode < 1e-10
    assert t0_sgd == max(t0[g]["sgd_" + n] for g in t0 for n in "QRv") and 0 < t0_sgd < 1e-5   # float32 record


def test_convention_summary_ratio_and_table():
    gaps = {"erf": {"tilde": {"Q": 1.0, "R": 2.0, "v": 3.0}, "rk4": {"Q": 0.1, "R": 0.2, "v": 0.3}},
            "relu": {"tilde": {"Q": 1.0, "R": 1.0, "v": 1.0}, "rk4": {"Q": 0.5, "R": 0.1, "v": 0.1}}}
    sgd = {"erf": {"Q": 10.0, "R": 10.0, "v": 10.0}, "relu": {"Q": 1.0, "R": 10.0, "v": 10.0}}
    s = study.ConventionSummary(gaps=gaps, sgd=sgd, dt=0.01, rk4_dt=0.05)
    assert s.ratio("rk4") == pytest.approx(0.5) and s.ratio("tilde") == pytest.approx(1.0)
    lines = s.markdown().splitlines()
    assert len(lines) == 2 + 3 * 2 and "RK4 ($dt$ = 0.05) vs Euler ($dt$ = 0.01)" in lines[3]
    assert lines[2].endswith("| 1.0e+00 | 2.0e+00 | 3.0e+00 |")


def test_convention_summary_of_the_chapter(data):
    s = study.convention_summary(data)
    for g in data.activations:
        assert s.sgd[g]["R"] == data.cells[g].tlog_mean("R")
        assert s.gaps[g] == study.convention_gaps(data.cells[g].ode, data.conventions[g])
        assert all(x > 0 for key in ("tilde", "rk4") for x in s.gaps[g][key].values())


def test_floor_summary_ratios():
    floors = {"Q": np.full((2, 2), 0.1), "R": np.full((2, 2), 0.1), "v": np.full(2, 0.1)}
    half = {n: x / 2 for n, x in floors.items()}
    of_mean = {**half, "R": np.array([[0.05, 0.08], [0.05, 0.05]])}
    per_run = {**half, "v": np.array([0.05, 0.3])}
    s = study.FloorSummary(K=2, M=2, per_run={"erf": per_run}, of_mean={"erf": of_mean}, floors={"erf": floors})
    assert s.floor_ratio("erf") == pytest.approx(0.8) and s.run_ratio("erf") == pytest.approx(3.0)
    lines = s.markdown().splitlines()
    assert lines[0].startswith("| $g$ | source | Q00 | Q01 | Q10 | Q11 | R00") and len(lines) == 2 + 3
    assert lines[-1].startswith("| erf | paper, α = 0 |")


def test_floor_summary_of_the_chapter_reads_the_paper_tables(data):
    s = study.floor_summary(data)
    row = PAPER_TABLES["II"]["rows"]["alpha=0"]
    assert np.allclose(s.floors["relu"]["Q"].ravel(), row[:4]) and np.allclose(s.floors["relu"]["v"], row[8:])
    assert np.allclose(s.per_run["erf"]["Q"], data.cells["erf"].tlog["Q"].mean(axis=0))
    flat = np.concatenate([np.ravel(s.of_mean["erf"][n] / s.floors["erf"][n]) for n in "QRv"])
    assert s.floor_ratio("erf") == pytest.approx(flat.max())


def test_convergence_fits_and_slope_table(data):
    fits = study.convergence_fits(data)
    assert set(fits) == {"erf", "relu"} and set(fits["erf"]) == {"Q", "R", "v", "all"}
    assert fits["relu"]["all"].slope == data.convergence["relu"].fit("all").slope
    lines = study.slope_table(fits).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| erf | ")
    assert f"{fits['relu']['v'].slope:.2f} ± {fits['relu']['v'].stderr:.2f}" in lines[3]


def test_figures_have_their_panels(data):
    import matplotlib.pyplot as plt

    from lib.studies import ode_vs_sgd_figures as figures

    fig = figures.trajectories_figure(data.cells)
    assert len(fig.axes) == 4 * 2
    # eg, then the upper triangle of Q (3 of 4 entries for K = 2), all of R, each v: per component an ODE line
    # and a dashed SGD mean
    assert [len(ax.lines) for ax in fig.axes[4:]] == [2, 6, 8, 4]
    plt.close(fig)
    fig = figures.convergence_figure(data.convergence, study.convergence_fits(data))
    assert len(fig.axes) == 2
    plt.close(fig)
    assert [label for label, _ in figures.components("Q", np.zeros((5, 3, 3)))] == \
        ["$Q_{00}$", "$Q_{01}$", "$Q_{02}$", "$Q_{11}$", "$Q_{12}$", "$Q_{22}$"]


def test_chapter_results_needs_no_plotting_or_notebook_tools():
    # A bare GPU machine has torch, numpy, scipy, tqdm and pyyaml only: importing the study module and
    # filling the cache must not import matplotlib, IPython, myst_nb, papermill or jupytext.
    code = ("import sys\n"
            "for m in ('matplotlib', 'IPython', 'myst_nb', 'papermill', 'jupytext', 'nbformat'):\n"
            "    sys.modules[m] = None\n"
            "from lib.studies import ode_vs_sgd as study\n"
            "from lib.pipeline.paper import chapter_parameters\n"
            f"study.chapter_results({{**chapter_parameters('02b_ode', 'quick'), **{TINY!r}}})\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert run.returncode == 0, run.stderr[-2000:]


# Small enough to run in seconds, large enough that every claim of the chapter holds (the slope's standard
# error must stay below 0.067): checked with these seeds.
CLAIMS_HOLD = {"activations": ["erf"], "N": 200, "D": 100, "runs": 2, "t_max": 5.0, "N_values": [100, 200, 400, 800],
               "seeds": 4, "conv_runs": 2, "conv_t_max": 5.0, "points": 20}


@pytest.mark.notebook
def test_chapter_makes_no_call_that_chapter_results_does_not(tmp_path, monkeypatch):
    from lib.pipeline.run import execute

    cache, trace = tmp_path / "cache", tmp_path / "trace"
    monkeypatch.setenv("HMM_CACHE_DIR", str(cache))
    p = {**parameter_defaults("02b_ode"), **CLAIMS_HOLD}
    monkeypatch.setenv("HMM_CACHE_TRACE", str(trace / "results"))
    trace.mkdir()
    study.chapter_results(p)
    entries = sorted(cache.rglob("*.npz"))
    made = (trace / "results").read_text().split()
    # one cell, the conventions, 4 sizes x 4 seeds (the cell at N = 200, seed 0 is also the sweep's), all outermost
    assert len(made) == 1 + 1 + 4 * 4 and {f"{e.parent.name}/{e.stem}" for e in entries} == set(made)
    monkeypatch.setenv("HMM_CACHE_TRACE", str(trace / "chapter"))
    execute("02b_ode", "quick", {**CLAIMS_HOLD, "results_from": "compute"}, out_dir=tmp_path / "out", quiet=True)
    assert sorted(cache.rglob("*.npz")) == entries
    # the same cached calls in the same order
    assert (trace / "chapter").read_text().split() == made
