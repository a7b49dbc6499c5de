"""The checks of chapter 09 (lib.studies.beyond_checks) decide from numbers: fed values inside and outside each band,
each gives the verdict its rule states (not reproduced, or not tested where the run lacks the power), and the
chapter's gathering keeps its ids and order."""
import math
from types import SimpleNamespace

import pytest

from lib.measures.verdicts import NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from lib.studies import beyond_checks as bc
from lib.studies.beyond import Z95, PowerFit


def fit(beta, half_width):
    """A power fit whose 95 % interval is beta +- half_width."""
    return PowerFit(beta, half_width / Z95, 1.0, 100, 3)


@pytest.mark.parametrize("f, expected", [
    (fit(-0.6, 0.2), REPRODUCED),            # [-0.8, -0.4] contains -1/2, width 0.4 < 0.5
    (fit(-0.8, 0.2), NOT_REPRODUCED),        # [-1.0, -0.6]
    (fit(-0.2, 0.2), NOT_REPRODUCED),
    (fit(-0.6, 0.3), NOT_TESTED),            # width 0.6: too wide to decide
    (fit(-0.6, 0.24), REPRODUCED),           # width 0.48
])
def test_floor_exponent(f, expected):
    c = bc.floor_exponent("relu", f)
    assert c.verdict == expected and c.aspect == "level" and c.paper_claim is None and not c.asserted
    assert c.id == "beyond.floor-exponent-relu"


@pytest.mark.parametrize("verdict, f, se, expected", [
    ("floor", fit(math.nan, math.nan), [0.05, 0.12], REPRODUCED),      # 2 s.e. = 0.24 < 0.25 at every N
    ("floor", fit(math.nan, math.nan), [0.05, 0.13], NOT_TESTED),      # 0.26: the run cannot see a quarter floor
    ("faster", fit(-1.0, 0.4), [0.3, 0.3], REPRODUCED),
    ("same", fit(0.0, 0.45), [0.3, 0.3], REPRODUCED),
    ("slower", fit(1.0, 0.4), [0.3, 0.3], NOT_REPRODUCED),             # narrow interval above 0: decided, fails
    ("slower", fit(1.3, 1.25), [0.3, 0.3], NOT_TESTED),                # too wide
    ("faster", fit(-2.0, 0.6), [0.3, 0.3], NOT_TESTED),
    ("undecided", fit(0.9, 1.9), [0.3, 0.3], NOT_TESTED),
    ("diverged", fit(math.nan, math.nan), [math.nan], NOT_TESTED),
])
def test_scaling(verdict, f, se, expected):
    c = bc.scaling("erf", "Laplace", verdict, f, se)
    assert c.verdict == expected and c.aspect == "shape" and c.id == "beyond.scaling-erf-Laplace"
    assert "nan" not in c.measured                          # a law without a fitted exponent says so in words


def test_map_group():
    margin = {"a": 0.3, "b": 0.45}
    ok = bc.map_group("map-fourth-moment", "with a fourth moment", ["a", "b"], [], margin, 2.9, 0.01, 400, "relu")
    assert ok.verdict == REPRODUCED and ok.measured == "above the margin: none of 2"
    bad = bc.map_group("map-fourth-moment", "with a fourth moment", ["a", "b"], ["b", "c"], margin, 2.9, 0.01, 400,
                       "relu")
    assert bad.verdict == NOT_REPRODUCED and bad.measured == "above the margin: b of 2"
    wide = bc.map_group("map-heavy-tail", "without", ["a", "b"], [], {"a": 0.3, "b": 0.5}, 2.9, 0.01, 400, "relu")
    assert wide.verdict == NOT_TESTED


@pytest.mark.parametrize("lo, hi, runs, with_a, no_a", [
    (0.86, 1.40, 10, REPRODUCED, NOT_REPRODUCED),       # inside the band: as good as the control
    (1.0, 1.5, 10, REPRODUCED, NOT_REPRODUCED),
    (1.6, 2.2, 10, NOT_REPRODUCED, REPRODUCED),         # resolvably outside the band
    (1.29, 1.80, 10, NOT_TESTED, NOT_TESTED),           # straddles it: a one-sided rule used to call this
    (0.86, 1.74, 10, NOT_TESTED, NOT_TESTED),           # wide interval: missing evidence is not agreement
    (0.86, 1.40, 9, NOT_TESTED, NOT_TESTED),           # too few runs
])
def test_folding(lo, hi, runs, with_a, no_a):
    ratio = {"value": (lo + hi) / 2, "lo": lo, "hi": hi}
    w = bc.fold_with_a("relu", 400, ratio, 0.01, runs, "relu", "sgn")
    n = bc.fold_without_a("relu", 400, ratio, 0.01, runs, "relu")
    assert (w.verdict, n.verdict) == (with_a, no_a)
    assert (w.id, n.id) == ("beyond.fold-with-a-relu-400", "beyond.fold-no-a-relu-400")


def _law(label, exkurt):
    return SimpleNamespace(label=label, moments=lambda: {"exkurt": exkurt})


def test_checks_gathers_the_chapter_in_its_order():
    ex = [SimpleNamespace(se=0.05), SimpleNamespace(se=0.05)]
    scaling = {g: {"floor_fit": fit(-0.5, 0.2), "verdict": {"uniform": "floor", "mixture, one label": "slower"},
                   "fit": {"uniform": fit(math.nan, math.nan), "mixture, one label": fit(2.2, 0.2)},
                   "excess": {"uniform": ex, "mixture, one label": ex}} for g in ("relu", "erf")}
    results = {"scaling": scaling,
               "map": {"laws": [_law("m1", 0.0), _law("m2", 8.0), _law("t 2.5", math.inf)], "departs": ["t 2.5"],
                       "margin": {"m1": 0.3, "m2": 0.3, "t 2.5": 0.3}, "t_fw": 2.9},
               "fold": {("relu", 400): {"with": {"value": 1.5, "lo": 1.3, "hi": 1.8},
                                        "no": {"value": 17.0, "lo": 14.0, "hi": 21.0}}}}
    checks = bc.checks(results, ["relu", "erf"], level=0.01, map_N=400, map_activation="relu", fold="relu",
                       fold_control="sgn", fold_runs=10)
    v = {c.id: c.verdict for c in checks}
    assert list(v) == ["beyond.floor-exponent-relu", "beyond.scaling-relu-uniform",
                       "beyond.scaling-relu-mixture, one label", "beyond.floor-exponent-erf",
                       "beyond.scaling-erf-uniform", "beyond.scaling-erf-mixture, one label",
                       "beyond.map-fourth-moment", "beyond.map-heavy-tail", "beyond.fold-with-a-relu-400",
                       "beyond.fold-no-a-relu-400"]
    assert v == {**{i: REPRODUCED for i in v}, "beyond.scaling-relu-mixture, one label": NOT_REPRODUCED,
                 "beyond.scaling-erf-mixture, one label": NOT_REPRODUCED, "beyond.map-heavy-tail": NOT_REPRODUCED,
                 "beyond.fold-with-a-relu-400": NOT_TESTED}   # [1.3, 1.8] straddles 1.5
    assert not any(c.asserted or c.paper_claim for c in checks)


def test_a_scaling_exponent_needs_four_sizes_over_a_factor_eight():
    assert bc.sizes_decide([250, 500, 1000, 2000, 4000]) and bc.sizes_decide(None)
    assert not bc.sizes_decide([100, 200, 400]) and not bc.sizes_decide([100, 200, 400, 700])
    results = {"scaling": {"relu": {"floor_fit": SimpleNamespace(beta=-0.5, se=0.05, lo=-0.6, hi=-0.4),
                                    "verdict": {}, "fit": {}, "excess": {}}},
               "map": {"laws": [], "departs": [], "margin": {}, "t_fw": 2.9}, "fold": {}}
    kw = dict(level=0.01, map_N=400, map_activation="relu", fold="relu", fold_control="sgn", fold_runs=10)
    assert bc.checks(results, ["relu"], **kw, scaling_Ns=[250, 500, 1000, 2000])[0].verdict == REPRODUCED
    quick = bc.checks(results, ["relu"], **kw, scaling_Ns=[100, 200, 400])[0]
    assert quick.verdict == NOT_TESTED and "not tested at this scale" in quick.tolerance
