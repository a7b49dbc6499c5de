"""The checks of chapter 08 (lib.studies.forensics_checks) decide from numbers: fed values inside and outside each
band, each gives the verdict its rule states (not reproduced, contradicted or not tested), and the chapter's
gathering keeps its ids, order and claims."""
import math

import numpy as np
import pytest

from lib.measures.verdicts import CONTRADICTED, NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from lib.studies import forensics_checks as fc
from lib.studies.forensics import Verdict

NARROW, WIDE = 0.1, 1.0          # band half-widths in |log ratio|: below and above log(1.5) = 0.405


def verdict(name="RMSE over log-times (the book's metric)", ratio=1.05, band=NARROW, agree=20) -> Verdict:
    r = {g: np.full(10, ratio) for g in ("relu", "erf")}
    return Verdict(name, "metric", r, {g: np.full(10, band) for g in r}, agree, 20)


@pytest.mark.parametrize("v, expected", [
    (verdict(), REPRODUCED),                                  # all 20 within a narrow band
    (verdict(ratio=0.47, agree=8), NOT_REPRODUCED),           # 12 components outside: decided whatever the band
    (verdict(ratio=0.47, agree=8, band=WIDE), NOT_REPRODUCED),
    (verdict(band=WIDE), NOT_TESTED),                         # all within, but the band cannot tell a factor 1.5
])
def test_floor_candidate(v, expected):
    c = fc.floor_candidate(v)
    assert c.verdict == expected and c.aspect == "level" and c.paper_claim is None and not c.asserted
    assert c.id == "forensics.floor.rmse-over-log-times-the-book-s-metric"
    assert c.measured["within"] == v.agree and c.measured["relu"]["R"] == round(v.ratio["relu"][0], 3)


def test_floor_any():
    ok = fc.floor_any([verdict(ratio=0.47, agree=8), verdict(name="eq. 18")])
    assert ok.verdict == REPRODUCED and ok.paper_claim == "1" and ok.measured == "20 of 20 (eq. 18)"
    no = fc.floor_any([verdict(ratio=0.47, agree=8), verdict(name="eq. 18", ratio=3.0, agree=11)])
    assert no.verdict == NOT_REPRODUCED and no.measured == "11 of 20 (eq. 18)"
    # a candidate that agrees only within a wide band does not count; with nothing decided the check is not tested
    assert fc.floor_any([verdict(band=WIDE)]).verdict == NOT_TESTED


@pytest.mark.parametrize("z, expected", [(4.0, REPRODUCED), (3.0, REPRODUCED), (4.01, CONTRADICTED),
                                         (22.9, CONTRADICTED), (math.nan, CONTRADICTED)])
def test_shared_follows_ode_is_contradicted_by_an_excess(z, expected):
    c = fc.shared_follows_ode("relu", 9, z, 3.37)
    assert c.verdict == expected and c.paper_claim == "4b"
    assert "alpha = 9" in c.statement and c.measured[1] == 3.37


@pytest.mark.parametrize("z, expected", [(4.01, REPRODUCED), (32.1, REPRODUCED), (4.0, NOT_REPRODUCED),
                                         (-1.0, NOT_REPRODUCED)])
def test_spike_needs_the_matched_gaussian_off_the_ode(z, expected):
    c = fc.spike("erf", z, 3.0, "both")
    assert c.verdict == expected and "verdict: both" in c.statement


def test_v4_lorentz_needs_every_size_ten_times_off():
    assert fc.v4_lorentz([19.0, 5.0, 20.0], [0.4, 0.2, 0.1]).verdict == REPRODUCED
    bad = fc.v4_lorentz([19.0, 1.9, 20.0], [0.4, 0.2, 0.1])     # 9.5 times at the middle size
    assert bad.verdict == NOT_REPRODUCED and bad.measured == [20.0, pytest.approx(9.5)]


@pytest.mark.parametrize("law, dev, expected", [
    ("uniform", 0.04 + 3.9 * math.hypot(0.003, 0.004), REPRODUCED),
    ("uniform", 0.04 + 4.1 * math.hypot(0.003, 0.004), NOT_REPRODUCED),
    ("mixture, one label", 0.04 + 3.9 * math.hypot(0.003, 0.004), REPRODUCED),
    ("mixture, one label", 4.09, CONTRADICTED),                  # claim 4b read literally: contradicted
])
def test_v4_law_within_four_standard_errors(law, dev, expected):
    c = fc.v4_law(law, dev, 0.003, 0.04, 0.004)
    assert c.verdict == expected
    assert c.paper_claim == ("4b" if law == "mixture, one label" else None)
    assert c.id == {"uniform": "forensics.V4.uniform", "mixture, one label": "forensics.V4.mixture-one-label"}[law]


class _Pair:
    alphas = [3, 9]

    def ratio(self, label, name):
        return np.array([1.5, 3.4])


def test_checks_gathers_the_chapter_in_its_order():
    fields = {law: dict(dev=np.array([0.08, 0.05, 0.04]), dev_se=np.array([0.004, 0.004, 0.004]))
              for law in ("Gaussian", "uniform", "mixture, one label")}
    fields["mixture, one label"]["dev"] = np.array([4.1, 4.0, 4.09])
    fields["Lorentz"] = dict(dev=np.array([19.0, 17.0, 20.0]), dev_se=np.array([9.0, 1.0, 30.0]))
    spikes = {"relu": dict(z_a=22.9, z_b=32.1, gap_ratio=3.07, verdict="both")}
    checks = fc.checks([verdict(ratio=0.47, agree=8), verdict(name="eq. 18", ratio=3.0, agree=11)],
                       {"relu": _Pair()}, spikes, fields)
    assert [c.id for c in checks] == [
        "forensics.floor.rmse-over-log-times-the-book-s-metric", "forensics.floor.eq.-18", "forensics.floor.any",
        "forensics.shared-follows-ode.relu", "forensics.spike.relu", "forensics.V4.uniform",
        "forensics.V4.mixture-one-label", "forensics.V4.Lorentz"]
    v = {c.id: c.verdict for c in checks}
    assert v["forensics.shared-follows-ode.relu"] == CONTRADICTED
    assert v["forensics.V4.mixture-one-label"] == CONTRADICTED
    assert v["forensics.V4.uniform"] == REPRODUCED and v["forensics.V4.Lorentz"] == REPRODUCED
    assert not any(c.asserted for c in checks)
