"""Paper-profile bundles: tracing the cached results a chapter uses, writing them with provenance,
recognising a stale bundle, and reading a current one without computing."""
import json
import os
import shutil

import pytest

from lib.pipeline import bundle, profiles
from lib.core import cache
from lib.measures.equivalence import EquivalenceCheck, equivalence_check
from lib.pipeline.run import execute

STEM = "02_hidden_manifold"
TINY = {"N_values": [40, 80], "samples": 500, "repeats": 1}


@pytest.fixture
def tiny_paper(monkeypatch, tmp_path):
    """A paper profile small enough for a test, a fresh cache and bundle folder, no read-only sources."""
    monkeypatch.setitem(profiles.PROFILES["paper"], STEM, dict(TINY))
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_BUNDLE_DIR", str(tmp_path / "bundles"))
    cache.reset_sources()
    yield tmp_path
    cache.reset_sources()


def _checks(N_values=TINY["N_values"]):
    return [EquivalenceCheck(N=N, ratio=0.5, K=2, M=2, f="sgn", samples=TINY["samples"], seed=0) for N in N_values]


def _traced_run(tmp_path, monkeypatch):
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("HMM_CACHE_TRACE", str(trace))
    results = [equivalence_check(c) for c in _checks()]
    monkeypatch.delenv("HMM_CACHE_TRACE")
    return trace, results


def test_trace_lists_each_outermost_call_once_per_call(tiny_paper, monkeypatch):
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    lines = trace.read_text().split()
    assert len(lines) == len(TINY["N_values"])
    assert all(line.startswith("equivalence_check/") for line in lines)


def test_written_bundle_is_current_and_serves_results_without_computing(tiny_paper, monkeypatch):
    trace, computed = _traced_run(tiny_paper, monkeypatch)
    prov_path = bundle.write(STEM, trace, wall_s=1.5)
    prov = json.loads(prov_path.read_text())
    assert prov["parameters"] == TINY and prov["seed"] == 0 and len(prov["entries"]) == 2
    assert prov["wall_s"] == 1.5 and all(e["version"] >= 1 for e in prov["entries"].values())
    # compute time: what the bundled results took when they were computed, not this (fake) driver time
    spent = [json.loads(p.read_text())["wall_s"] for p in (bundle.bundle_dir(STEM) / "cache").glob("*/*.json")]
    assert len(spent) == 2 and bundle.compute_seconds(STEM) == pytest.approx(sum(spent)) and sum(spent) > 0
    current, reason, _ = bundle.status(STEM)
    assert current, reason

    # Empty the cache: the results must now come from the bundle, identical, and anything else is refused.
    monkeypatch.setenv("HMM_CACHE_DIR", str(tiny_paper / "empty-cache"))
    shown = bundle.choose(STEM, "auto")
    assert shown.profile == "paper" and shown.parameters == TINY
    assert "paper profile" in shown.note_html()
    again = [equivalence_check(c) for c in _checks()]
    for a, b in zip(computed, again):
        assert (a["Q_mc"] == b["Q_mc"]).all()
    with pytest.raises(cache.CacheMiss, match="not in the paper bundle"):
        equivalence_check(_checks([60])[0])
    assert not (tiny_paper / "empty-cache" / "equivalence_check").exists()


def test_compute_time_counts_the_pieces_a_bundle_was_built_from(tiny_paper, monkeypatch):
    """A piece (a cached result computed in an earlier run, e.g. an engine batch behind a sweep) adds its
    own wall time; one not in the cache is left out; a piece computed inside an entry is counted once."""
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    equivalence_check(_checks([60])[0])                       # not traced: a piece behind the bundle
    piece = next(p for p in (tiny_paper / "cache" / "equivalence_check").glob("*.json")
                 if f"equivalence_check/{p.stem}" not in trace.read_text())
    record = json.loads(piece.read_text())
    piece.write_text(json.dumps({**record, "created": "2026-01-01T10:00:00"}))   # as if from an earlier run
    bundle.write(STEM, trace, wall_s=1.0, pieces=[f"equivalence_check/{piece.stem}", "nowhere/0123"])
    prov = json.loads((bundle.bundle_dir(STEM) / "provenance.json").read_text())
    assert list(prov["pieces"]) == [f"equivalence_check/{piece.stem}"]
    spent = [json.loads(p.read_text())["wall_s"] for p in (bundle.bundle_dir(STEM) / "cache").glob("*/*.json")]
    own = json.loads(piece.read_text())["wall_s"]
    assert own > 0 and bundle.compute_seconds(STEM) == pytest.approx(sum(spent) + own, abs=1e-6)
    inner = {"created": "2026-01-01T10:09:00", "wall_s": 60.0, "host": "h"}
    outer = {"created": "2026-01-01T10:10:00", "wall_s": 600.0, "host": "h"}
    assert bundle.span_seconds([outer, inner]) == pytest.approx(600.0)
    assert bundle.span_seconds([outer, {**inner, "host": "other"}]) == pytest.approx(660.0)


def test_bundle_goes_stale_when_profile_or_code_changes(tiny_paper, monkeypatch):
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    bundle.write(STEM, trace, wall_s=1.0)
    monkeypatch.setitem(profiles.PROFILES["paper"], STEM, {**TINY, "repeats": 2})
    current, reason, _ = bundle.status(STEM)
    assert not current and "paper profile" in reason
    monkeypatch.setitem(profiles.PROFILES["paper"], STEM, dict(TINY))
    assert bundle.status(STEM)[0]
    from lib.measures.equivalence import equivalence_check

    monkeypatch.setattr(equivalence_check, "version", equivalence_check.version + 1)   # its numerics changed
    current, reason, _ = bundle.status(STEM)
    assert not current and "numerics of equivalence_check changed" in reason
    shown = bundle.choose(STEM, "auto")
    assert shown.profile == "own" and shown.parameters == {}
    assert "python -m lib paper 02_hidden_manifold" in shown.note_html()


def test_changed_parameters_compute_even_with_a_current_bundle(tiny_paper, monkeypatch):
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    bundle.write(STEM, trace, wall_s=1.0)
    from lib.pipeline import chapters
    defaults = chapters.parameter_defaults(STEM)
    assert bundle.choose(STEM, "auto", dict(defaults)).profile == "paper"
    cache.reset_sources()
    assert bundle.choose(STEM, "auto", {**defaults, **TINY}).profile == "paper"
    cache.reset_sources()
    changed = bundle.choose(STEM, "auto", {**defaults, "repeats": 7})
    assert changed.profile == "own" and "changed" in changed.reason


def test_missing_bundle_and_compute_request_use_own_parameters(tiny_paper):
    assert bundle.choose(STEM, "auto").reason.startswith("no paper-profile bundle")
    assert bundle.choose(STEM, "compute").profile == "own"
    with pytest.raises(bundle.ParameterError, match="results_from"):
        bundle.choose(STEM, "paper")


def test_oversized_bundle_is_refused(tiny_paper, monkeypatch):
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    with pytest.raises(RuntimeError, match="more than"):
        bundle.write(STEM, trace, wall_s=1.0, max_bytes=10)


def test_runner_computes_unless_asked_for_the_paper_profile_as_is(tmp_path, monkeypatch):
    # Record the parameters papermill would inject, without executing anything.
    seen = {}

    def fake_execute_notebook(src, dst, parameters, **kw):
        seen.update(parameters)
        raise SystemExit

    import papermill
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute_notebook)
    for profile, params, expected in [("quick", None, "compute"), ("paper", None, "auto"),
                                      ("paper", {"repeats": 2}, "compute")]:
        seen.clear()
        with pytest.raises(SystemExit):
            execute(STEM, profile, params, out_dir=tmp_path)
        assert seen["results_from"] == expected, (profile, params)


@pytest.mark.notebook
def test_driver_runs_bundles_and_then_skips_a_chapter(monkeypatch, tmp_path):
    """End to end on a tiny Section III grid: the driver executes the chapter, bundles what it used, a
    second call finds the bundle current and skips it; the chapter then reads it with an empty cache."""
    from lib.pipeline import paper

    tiny = {"alphas": [0, 9], "ms": [1, 2], "n_mixtures": 1, "knn_samples": 300, "knn_samples_1d": 2000}
    monkeypatch.setitem(profiles.PROFILES, "paper", {"03_gaussian_mixtures": tiny})
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_BUNDLE_DIR", str(tmp_path / "bundles"))
    monkeypatch.setenv("HMM_OUTPUT_DIR", str(tmp_path / "output"))
    cache.reset_sources()
    times = paper.regenerate(allow_dirty=True)
    assert list(times) == ["03_gaussian_mixtures"] and times["03_gaussian_mixtures"] > 0
    prov = json.loads((tmp_path / "bundles" / "03_gaussian_mixtures" / "provenance.json").read_text())
    assert prov["parameters"] == tiny and [(e["function"], e["module"]) for e in prov["entries"].values()] == [("kl_study", "lib.studies.gaussian_mixtures")]
    assert prov["wall_s"] == pytest.approx(times["03_gaussian_mixtures"], abs=0.1)
    assert paper.regenerate() == {"03_gaussian_mixtures": "current"}           # nothing to bundle: no check

    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "empty-cache"))
    shown = bundle.choose("03_gaussian_mixtures", "auto")
    from lib.studies.gaussian_mixtures import KLStudy, kl_study
    result = kl_study(KLStudy(D=500, alphas=(0, 9), ms=(1, 2), n_mixtures=1, knn_samples=300, knn_samples_1d=2000))
    assert shown.profile == "paper" and result["exact"][False].shape == (2, 2)
    assert not (tmp_path / "empty-cache").exists()
    cache.reset_sources()

    # A fresh machine: no cache, no bundle, but the stash of the first machine. The driver restores it and the
    # chapter is bundled again from the restored result (the record of the original computation), not recomputed.
    from lib.pipeline import stash
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    (saved,) = stash.save(min_seconds=0)
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "fresh-cache"))
    shutil.rmtree(tmp_path / "bundles")
    assert paper.regenerate(allow_dirty=True)["03_gaussian_mixtures"] > 0
    rebundled = tmp_path / "bundles" / "03_gaussian_mixtures" / "cache" / saved.folder / f"{saved.digest}.json"
    assert json.loads(rebundled.read_text()) == saved.record


def test_driver_refuses_a_chapter_without_paper_profile():
    from lib.pipeline import paper

    with pytest.raises(bundle.ParameterError, match="no paper profile for 05_lemmas"):
        paper.regenerate(["05_lemmas"])


@pytest.mark.notebook
def test_results_only_makes_the_chapters_sweeps_under_the_chapters_own_keys(monkeypatch, tmp_path):
    """The notebook-free path computes exactly the cached sweeps that the chapter then reads: executing the
    chapter afterwards adds no sweep and no engine batch to the cache."""
    from lib.pipeline import paper, stash

    tiny = {"activations": ["relu"], "ms": [2, 3], "alphas": [0, 4, 9], "shared_alphas": [9], "n_mixtures": 1,
            "runs": 2, "N": 100, "D": 50, "t_max": 0.5}
    monkeypatch.setitem(profiles.PROFILES, "paper", {"04_mixture_dynamics": tiny})
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash"))
    monkeypatch.setenv("HMM_OUTPUT_DIR", str(tmp_path / "output"))
    cache.reset_sources()
    added = paper.results_only("04_mixture_dynamics", min_seconds=0)
    folders = {e.folder for e in added}
    assert {"sweep", "guarded_batch"} <= folders, folders
    listing = lambda: sorted(p.name for f in ("sweep", "guarded_batch") for p in (tmp_path / "cache" / f).glob("*.npz"))
    before = listing()
    assert len(before) == sum(e.folder in ("sweep", "guarded_batch") for e in added)   # all of them stashed
    # the bundle's pieces are exactly the engine batches the sweeps were made from
    from lib.pipeline import chapters
    params = {**chapters.parameter_defaults("04_mixture_dynamics"), **tiny}
    batches = sorted(f"guarded_batch/{p.stem}" for p in (tmp_path / "cache" / "guarded_batch").glob("*.npz"))
    assert sorted(paper.pieces("04_mixture_dynamics", params)) == batches and len(batches) == 3   # raw, std, shared
    # two worker processes make the same cache entries (no extra batch computed by the sweeps afterwards)
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache2"))
    monkeypatch.setenv("HMM_STASH_DIR", str(tmp_path / "stash2"))
    assert paper.compute_batches("04_mixture_dynamics", params, workers=2) == 3
    assert paper.compute_batches("04_mixture_dynamics", params, workers=2) == 0        # all cached now
    paper.results_only("04_mixture_dynamics", min_seconds=0)
    assert sorted(p.name for f in ("sweep", "guarded_batch") for p in (tmp_path / "cache2" / f).glob("*.npz")) == before
    with pytest.raises(bundle.ParameterError, match="workers"):
        paper.compute_batches("04_mixture_dynamics", params, workers=0)
    monkeypatch.setenv("HMM_CACHE_DIR", str(tmp_path / "cache"))
    try:
        execute("04_mixture_dynamics", "paper", {**tiny, "results_from": "compute"})
    except RuntimeError as err:              # a claim may fail at this toy size; the cells before it ran
        assert "AssertionError" in str(err), err
    assert listing() == before
    with pytest.raises(bundle.ParameterError, match="results-only"):
        paper.results_only("05_lemmas")


def test_paper_refuses_a_dirty_tree_unless_allowed_and_the_page_says_so(tiny_paper, monkeypatch, capsys):
    """A bundle made from uncommitted code is refused before anything runs; with --allow-dirty it is made,
    records the changed files, and the chapter's note says its commit does not identify its code."""
    from lib.pipeline import paper

    monkeypatch.setattr(bundle, "code_changes", lambda: ["lib/core/sgd.py"])
    ran = []
    monkeypatch.setattr(paper, "execute", lambda *a, **k: ran.append(a))
    with pytest.raises(paper.DirtyTree, match=r"uncommitted changes to tracked files \(lib/core/sgd.py\).*--allow-dirty"):
        paper.regenerate([STEM])
    assert ran == []
    assert paper.main([STEM]) == 2
    err = capsys.readouterr().err
    assert "--allow-dirty" in err and err.count("\n") == 1
    trace, _ = _traced_run(tiny_paper, monkeypatch)
    bundle.write(STEM, trace, wall_s=1.0)
    prov = json.loads((bundle.bundle_dir(STEM) / "provenance.json").read_text())
    assert prov["uncommitted_changes"] is True and prov["uncommitted_files"] == ["lib/core/sgd.py"]
    shown = bundle.choose(STEM, "auto")
    assert shown.profile == "paper" and "uncommitted changes" in shown.note_html()
    monkeypatch.setattr(bundle, "code_changes", lambda: [])
    paper.check_clean()                                              # a clean tree passes
    bundle.write(STEM, trace, wall_s=1.0)
    assert "uncommitted" not in bundle.choose(STEM, "auto").note_html()


def test_code_changes_lists_tracked_files_outside_results():
    changed = bundle.code_changes()
    assert changed is None or all(not c.startswith("results/") for c in changed)
