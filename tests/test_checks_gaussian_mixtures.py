"""The rules of the Section III checks (lib.studies.gaussian_mixtures_checks): fed values inside each band every
check passes; fed values outside it, it gives the failing verdict it declares (a check cannot pass on numbers
that disagree)."""
import numpy as np
import pytest

from lib.measures.verdicts import CONTRADICTED, NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from lib.studies import gaussian_mixtures_checks as iii

RAW = np.array([[0.0, 10.0, 40.0], [0.0, 30.0, 200.0]])    # (m, alpha) exact divergences, nats


def good() -> dict:
    """Numbers under which every check of the chapter passes."""
    return dict(alpha_spread=120.0, m_spread=40.0, steps=np.array([[30.0, 170.0]]), exact_standardised=RAW / 10,
                exact_raw=RAW, ratio_1d=np.array([0.8, 0.95, 1.1]), ratio_full=np.array([0.6, 0.9, 1.1]))


def verdicts(**change) -> dict:
    return {c.id: c.verdict for c in iii.checks(**{**good(), **change})}


def test_every_check_passes_inside_its_band():
    v = verdicts()
    assert list(v) == ["III.alpha-vs-m", "III.kl-grows", "III.standardised-smaller", "III.knn-1d",
                       "III.knn-full-axis"]
    assert set(v.values()) == {REPRODUCED}, v


@pytest.mark.parametrize("change, check, verdict", [
    (dict(alpha_spread=40.0, m_spread=40.0), "III.alpha-vs-m", NOT_REPRODUCED),
    (dict(alpha_spread=30.0), "III.alpha-vs-m", NOT_REPRODUCED),
    (dict(steps=np.array([[30.0, 0.0]])), "III.kl-grows", NOT_REPRODUCED),
    (dict(steps=np.array([[30.0, -2.0]])), "III.kl-grows", NOT_REPRODUCED),
    (dict(exact_standardised=RAW + np.array([[0, 0, 0], [0, 1.5, 0]])), "III.standardised-smaller", NOT_REPRODUCED),
    (dict(ratio_1d=np.array([0.8, 0.45])), "III.knn-1d", NOT_REPRODUCED),
    (dict(ratio_1d=np.array([0.8, 2.1])), "III.knn-1d", NOT_REPRODUCED),
    (dict(ratio_1d=np.array([])), "III.knn-1d", NOT_REPRODUCED),          # no cell to show it
    (dict(ratio_full=np.array([0.6, 0.49, 1.1])), "III.knn-full-axis", CONTRADICTED),
    (dict(ratio_full=np.array([-0.3, 0.1])), "III.knn-full-axis", CONTRADICTED),     # negative estimates
    (dict(ratio_full=np.array([])), "III.knn-full-axis", NOT_TESTED),               # no cell above 10 nats
])
def test_a_value_outside_the_band_gives_the_failing_verdict(change, check, verdict):
    assert verdicts(**change)[check] == verdict


def test_band_edges_and_measured_values():
    c = iii.standardised_smaller(RAW + 1.0, RAW)                  # up to 1 nat more is allowed
    assert c.passed and c.measured == pytest.approx(1.0)
    assert iii.alpha_vs_m(120.0, 40.0).measured == pytest.approx(3.0)
    assert iii.kl_grows(np.array([[0.5, 3.0], [2.0, 7.0]])).measured == 0.5
    empty = iii.knn_full_axis(np.array([]))
    assert not empty.passed and empty.measured == "no cell above 10 nats"
    assert iii.knn_full_axis(np.array([0.5])).passed                # the band's edge passes


def test_only_the_papers_knn_axis_is_a_recorded_finding():
    by_id = {c.id: c for c in iii.checks(**good())}
    assert {i for i, c in by_id.items() if not c.asserted} == {"III.knn-full-axis"}
    assert by_id["III.knn-full-axis"].paper_claim == "KL" and by_id["III.alpha-vs-m"].paper_claim == "3"
