"""The notebook-free path (``python -m lib paper --results-only``) of chapters 02, 03 and 06: each chapter's
``chapter_results``, run through :func:`lib.pipeline.paper.results_only` into an empty cache, makes every cached
call that the chapter's own study calls then make, and no other.

How: the results-only path fills one cache (its outermost cached calls traced, ``HMM_CACHE_TRACE``); then the
chapter's study calls, as the notebook makes them (its plotting, display and glue left out), run on a second,
empty cache that may read the first one only in strict mode (``lib.core.cache.read_only_source(...,
strict=True)``), so any call that the results-only path skipped raises ``CacheMiss`` instead of being computed.
The two traces must name the same entries: no call missing, none extra. Each test first shows that the replay
does raise on a cache that lacks the results.
"""
from pathlib import Path

import pytest

from lib.core import cache
from lib.pipeline import chapters, paper, profiles


# Parameters of each chapter small enough to run in a second or two (tests/test_bare_machine.py runs them too).
TINY = {
    "02_hidden_manifold": {"N_values": [20, 40], "samples": 400, "repeats": 2, "folds": ["sgn", "relu"]},
    "03_gaussian_mixtures": {"D": 8, "alphas": [0, 3], "ms": [1, 2], "n_mixtures": 2, "knn_samples": 200,
                             "knn_samples_1d": 400},
    "06_universality": {
        "N": 16, "D": 8, "activations": ["relu", "erf"], "folds": ["sgn", "tanh"], "cross": False,
        "laws": [["Gaussian", "gaussian", {}], ["uniform", "uniform", {"low": 0.0, "high": 1.0}],
                 ["Laplace", "laplace", {"scale": 1.0}], ["Lorentz", "lorentz", {"scale": 1.0}]],
        "heavy_laws": [["Pareto, shape 2.5", "pareto", {"shape": 2.5}]],
        "appendix_laws": ["Gaussian", "uniform", "Laplace", "Lorentz"], "appendix_study": True,
        "study": ["Lorentz", "Pareto, shape 2.5"], "study_sizes": [100, 1000], "runs": 2, "t_max": 1.0, "points": 8,
        "cumulant_samples": 400, "replicate_seeds": [1], "replicate_setting": ["relu", "tanh"],
        "replicate_laws": ["Gaussian", "uniform", "Laplace"], "replicate_N": [8, 16]}}


def test_every_chapter_with_a_paper_profile_has_a_results_only_path():
    assert set(paper.RESULTS_ONLY) == set(paper.paper_chapters())


def _traced(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _results_only_then_replay(stem: str, replay, tmp_path, monkeypatch) -> list[str]:
    """Fill an empty cache by ``paper.results_only(stem)`` with the parameters ``TINY[stem]``, then run
    ``replay(params)`` strictly from it; returns the entries (folder/digest) that the results-only path made."""
    tiny = TINY[stem]
    filled, empty = tmp_path / "filled", tmp_path / "empty"
    monkeypatch.setitem(profiles.PROFILES, "paper", {stem: tiny})
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    monkeypatch.setenv("HMM_CACHE_DIR", str(filled))
    monkeypatch.setenv("HMM_CACHE_TRACE", str(tmp_path / "results_only.txt"))
    cache.reset_sources()
    paper.results_only(stem, min_seconds=float("inf"))
    made = _traced(tmp_path / "results_only.txt")
    assert made and set(made) <= {f"{e.parent.name}/{e.stem}" for e in filled.rglob("*.npz")}   # all kept
    params = paper.chapter_parameters(stem)
    assert params == {**chapters.parameter_defaults(stem), **tiny}
    monkeypatch.setenv("HMM_CACHE_DIR", str(empty))
    monkeypatch.setenv("HMM_CACHE_TRACE", str(tmp_path / "replay.txt"))
    try:
        cache.read_only_source(tmp_path / "nothing", strict=True)     # the check can fail: no results, no pass
        with pytest.raises(cache.CacheMiss):
            replay(params)
        (tmp_path / "replay.txt").unlink()
        cache.reset_sources()
        cache.read_only_source(filled, strict=True)
        replay(params)
    finally:
        cache.reset_sources()
    assert sorted(set(_traced(tmp_path / "replay.txt"))) == sorted(set(made))
    assert not list(empty.rglob("*.npz"))                              # nothing was computed
    return made


# ------------------------------------------------------------------------------------- 02_hidden_manifold
def _replay_hidden_manifold(p: dict) -> None:
    """The study calls of notebooks/02_hidden_manifold.py."""
    from lib.studies import hidden_manifold as study

    constants = study.fold_constants_rows(p["folds"])
    checks = study.checks(p["N_values"], p["ratio"], p["K"], p["M"], p["f"], p["samples"], p["repeats"], p["seed"])
    study.abc_error(constants)
    results = study.run_checks(checks)
    study.covariance_gaps(results, p["N_values"])
    study.cumulants(results[p["N_values"][-1]], p["samples"])
    study.mc_tolerance(results, p["samples"])


def test_hidden_manifold_results_only_makes_every_cached_call(tmp_path, monkeypatch):
    made = _results_only_then_replay("02_hidden_manifold", _replay_hidden_manifold, tmp_path, monkeypatch)
    assert len(made) == 2 * 2 and {m.split("/")[0] for m in made} == {"equivalence_check"}   # N values x repeats


# ----------------------------------------------------------------------------------- 03_gaussian_mixtures
def _replay_gaussian_mixtures(p: dict) -> None:
    """The study calls of notebooks/03_gaussian_mixtures.py."""
    from lib.studies import gaussian_mixtures as study

    tables = study.kl_study(study.KLStudy(D=p["D"], alphas=tuple(p["alphas"]), ms=tuple(p["ms"]),
                                          n_mixtures=p["n_mixtures"], knn_samples=p["knn_samples"],
                                          knn_samples_1d=p["knn_samples_1d"], k=p["k"], seed=p["seed"]))
    study.one_d_errors(tables)
    study.spread(tables["exact"][False])
    study.wrong_sign_fraction(tables)
    study.knn_table(tables, p["alphas"], p["ms"])


def test_gaussian_mixtures_results_only_makes_every_cached_call(tmp_path, monkeypatch):
    made = _results_only_then_replay("03_gaussian_mixtures", _replay_gaussian_mixtures, tmp_path, monkeypatch)
    assert [m.split("/")[0] for m in made] == ["kl_study"]


# --------------------------------------------------------------------------------------- 06_universality
def _replay_universality(p: dict) -> None:
    """The study calls of notebooks/06_universality.py: every table, text and check reads the one Universality
    object, whose stages make the cached calls on first use. The chapter's figures read the same stages (replayed
    with them too, the same calls were made, 2026-12-05); drawing them would take most of this test's time."""
    from lib.studies import checks_v
    from lib.studies import universality_figures as figures
    from lib.studies.universality_summary import PARAMETERS, Universality

    u = Universality(**{name: p[name] for name in PARAMETERS})
    figures.table1(u)
    u.sweeps, u.tests, u.t_fw
    figures.floor_table(u, u.main)
    figures.seed_table(u)
    u.fit, u.size_points
    figures.size_table(u)
    figures.exact_table(u)
    u.sample_sizes
    figures.settings_table(u)
    u.texts()
    checks_v.universality_checks(u)


def test_universality_results_only_makes_every_cached_call(tmp_path, monkeypatch):
    made = _results_only_then_replay("06_universality", _replay_universality, tmp_path, monkeypatch)
    folders = [m.split("/")[0] for m in made]
    # engine batches: 3 settings' sweeps, 1 further seed, the 2 seeds at the further N (the main N reuses the
    # sweeps and the seed study), 2 seeds with exact moments, 3 settings x 2 laws of the sample-size study
    assert folders.count("guarded_batch") == len(set(made)) - 2 == 3 + 1 + 2 + 2 + 3 * 2
    assert folders.count("standardization_scale") == 2


# ------------------------------------------------------------------------------------------ the chapters
@pytest.mark.notebook
@pytest.mark.parametrize("stem", ["02_hidden_manifold", "03_gaussian_mixtures", "06_universality"])
def test_the_chapter_makes_no_cached_call_beyond_results_only(stem, tmp_path, monkeypatch):
    """The replays above copy the notebooks' calls; this executes the notebook itself after the results-only path,
    on the same parameters: it adds no cache entry, and its cached calls are those of the results-only path."""
    import json

    from lib.pipeline.run import execute

    filled = tmp_path / "cache"
    monkeypatch.setitem(profiles.PROFILES, "paper", {stem: TINY[stem]})
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    monkeypatch.setenv("HMM_CACHE_DIR", str(filled))
    monkeypatch.setenv("HMM_CACHE_TRACE", str(tmp_path / "results_only.txt"))
    cache.reset_sources()
    paper.results_only(stem, min_seconds=float("inf"))
    made, entries = _traced(tmp_path / "results_only.txt"), sorted(filled.rglob("*.npz"))
    monkeypatch.setenv("HMM_CACHE_TRACE", str(tmp_path / "chapter.txt"))
    try:
        execute(stem, "quick", {**TINY[stem], "results_from": "compute"}, out_dir=tmp_path / "out", quiet=True)
    except RuntimeError as err:
        # Claims may fail at this toy size; every cached call comes before them, in the checks cell
        cells = json.loads((tmp_path / "out" / f"{stem}.ipynb").read_text())["cells"]
        failed = [c for c in cells if any(o["output_type"] == "error" for o in c.get("outputs", []))]
        assert "AssertionError" in str(err) and len(failed) == 1, err
        assert "claims.Registry(" in "".join(failed[0]["source"]), err
    assert sorted(filled.rglob("*.npz")) == entries
    assert sorted(set(_traced(tmp_path / "chapter.txt"))) == sorted(set(made))
