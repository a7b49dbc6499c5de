"""lib.studies.performance: the records the performance appendix shows, its tables, numbers, completeness
checks and figures (notebooks/98_performance.py), on the stored record and on synthetic ones."""
import copy
import json
import math

import pytest

from lib import bench
from lib.core.validate import ParameterError
from lib.studies import performance as study


@pytest.fixture(scope="module")
def stored():
    return study.gather("none", 1)


def test_gather_labels_the_stored_records(stored, tmp_path):
    assert stored.here is None and stored.shown == stored.records and len(stored.rows) == len(stored.records) >= 1
    assert stored.main["mode"] == "full" and stored.main["label"].startswith(stored.main["slug"] + " (full, ")
    assert stored.summary() == f"{len(stored.records)} stored record(s); no measurement made here"
    with pytest.raises(RuntimeError, match="nothing to show"):
        study.gather("none", 1, folder=tmp_path)                 # no record and no measurement
    with pytest.raises(ParameterError, match="measure"):
        study.gather("some", 1)
    with pytest.raises(ParameterError, match="threads"):
        study.gather("none", 0)


def test_gather_prefers_a_full_record(stored, tmp_path):
    tiny = {**copy.deepcopy(stored.main), "mode": "tiny", "slug": "aaa-first"}
    for rec in (tiny, stored.main):
        (tmp_path / f"{rec['slug']}.json").write_text(json.dumps({k: v for k, v in rec.items() if k != "label"}))
    page = study.gather("none", 1, folder=tmp_path)
    assert [r["slug"] for r in page.shown] == ["aaa-first", stored.main["slug"]] and page.main["mode"] == "full"


def test_records_table(stored):
    lines = study.records_table(stored.shown, stored.rows).splitlines()
    assert len(lines) == 2 + len(stored.shown) and lines[2].startswith(f"| {stored.shown[0]['label']} | ")
    assert study.fmt(None, ".2f") == "n/a" and study.fmt(1234.5, ",.0f") == "1,234"


def test_scaling_numbers():
    rec = {"scaling_N": [{"N": 250, "run_steps_per_s": 1000.0}, {"N": 500, "run_steps_per_s": 400.0},
                         {"N": 1000, "run_steps_per_s": 100.0}],
           "scaling_R": [{"runs": 10, "run_steps_per_s": 50.0}, {"runs": 1, "run_steps_per_s": 20.0},
                         {"runs": 100, "run_steps_per_s": 80.0}]}
    slope, gain, R_max = study.scaling_numbers(rec)
    assert slope == pytest.approx(-2.0) and gain == pytest.approx(4.0) and R_max == "100"
    slope, gain, R_max = study.scaling_numbers({})
    assert math.isnan(slope) and math.isnan(gain) and R_max == "n/a"


def test_breakdown(stored):
    b = stored.main["breakdown"]
    bd = study.breakdown(stored.main)
    assert bd.fraction == b["fraction"] and bd.runs == b["runs"]
    assert bd.parts_ms == pytest.approx(1e3 * sum(s for k, s in b["seconds_per_block"].items() if k != "sample C"))
    assert bd.whole_ms == pytest.approx(1e3 * b["step_s_per_block"])
    assert study.breakdown({}) == study.Breakdown(fraction={}, runs=None, parts_ms=None, whole_ms=None)


def test_record_problems(stored):
    r, h = stored.main, bench.headline(stored.main)
    assert study.record_problems(r, h) == []
    assert study.record_problems(r, {**h, "engine": 0.0, "floor": math.inf}) == ["engine", "floor"]
    assert study.record_problems({**r, "slug": "Not A Slug"}, h) == ["slug 'Not A Slug'"]
    broken = copy.deepcopy(r)
    broken["breakdown"]["seconds_per_block"].pop("sample C")
    broken["scaling_N"][0]["run_steps_per_s"] = -1.0
    assert study.record_problems(broken, h) == [f"scaling point {broken['scaling_N'][0]}", "breakdown phases"]
    assert study.record_problems(r, {**h, "ode_ratio_cpp": None}) == ["ode"]


def test_paper_profile_table():
    prov = lambda wall, entries, pieces=(): {"wall_s": wall, "device": "GPU X", "entries": dict.fromkeys(entries),
                                             "pieces": dict.fromkeys(pieces)}
    status = {"02": (True, "", prov(60.0, ["f/a"], ["g/b"])), "03": (False, "old", prov(120.0, ["f/c"])),
              "04": (False, "none", None)}
    assert study.bundled_entries(status) == {"f/a", "g/b", "f/c"}
    lines = study.paper_profile_table(status, {"02": 600.0, "03": 30.0}).splitlines()
    assert lines[2] == "| 02 | 10.0 min | 1.0 min | GPU X | current |"
    assert lines[3] == "| 03 | 0.5 min | 2.0 min | GPU X | stale: old |" and lines[4] == "| 04 | not run | | | |"
    assert lines[-1] == "| **all run so far** | **10.5 min** | | | |"
    lines = study.paper_profile_table(status, {"02": 600.0, "03": 30.0}, 7200.0, 3).splitlines()
    assert lines[-1] == "| stashed pieces, not yet in a bundle (`results/stash/`) | 120.0 min | | 3 cached results | |"


def test_figures_have_their_panels(stored):
    import matplotlib.pyplot as plt

    fig = study.scaling_figure(stored.shown, stored.main)
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    plt.close(fig)
    fig = study.breakdown_figure(stored.shown)
    with_breakdown = [r for r in stored.shown if r.get("breakdown")]          # a record made --no-scaling has none
    assert with_breakdown and len(fig.axes) == 1
    assert len(fig.axes[0].patches) == len(bench.scaling.PHASES) * len(with_breakdown)
    plt.close(fig)


def test_sweep_table_has_a_row_per_scheduler_of_each_record():
    records = study.sweep_records()
    assert records, "results/bench/sweep/ holds the committed sweep benchmark"
    lines = study.sweep_table(records).splitlines()
    assert len(lines) == 2 + sum(len(r["best_wall_s"]) for r in records)
    assert all(line.count("|") == 7 for line in lines)
