"""The rules of the Section II checks (lib.studies.hidden_manifold_checks): fed values inside each band every
check passes; fed values outside it, it gives the failing verdict it declares (a check cannot pass on numbers
that disagree)."""
import numpy as np
import pytest

from lib.measures.verdicts import NOT_REPRODUCED, REPRODUCED
from lib.studies import hidden_manifold_checks as ii

SE_SKEW, SE_KURT = np.sqrt(6 / 20_000), np.sqrt(24 / 20_000)


def good() -> dict:
    """Numbers under which every check of the chapter passes."""
    return dict(abc_error=1e-12, mc_gap=np.array([0.01, 0.012, 0.009]), mc_tolerance=0.05, slope=-0.52,
                gep_gap=np.array([0.04, 0.02, 0.01]), skew=np.array([[0.01, -0.02], [0.03, 0.0]]), se_skew=SE_SKEW,
                exkurt=np.array([[0.05, -0.04], [0.02, 0.0]]), se_kurt=SE_KURT)


def verdicts(**change) -> dict:
    return {c.id: c.verdict for c in ii.checks(**{**good(), **change})}


def test_every_check_passes_inside_its_band():
    v = verdicts()
    assert list(v) == ["II.abc", "II.mc-exact", "II.gep-slope", "II.gep-shrinks", "II.skewness", "II.kurtosis"]
    assert set(v.values()) == {REPRODUCED}, v


@pytest.mark.parametrize("change, check", [
    (dict(abc_error=2e-8), "II.abc"),
    (dict(mc_gap=np.array([0.01, 0.06, 0.009])), "II.mc-exact"),            # one N above 5 standard errors
    (dict(slope=-0.35), "II.gep-slope"),                                    # slower than N^-0.4
    (dict(slope=0.1), "II.gep-slope"),
    (dict(gep_gap=np.array([0.01, 0.02, 0.04])), "II.gep-shrinks"),
    (dict(gep_gap=np.array([0.02, 0.01, 0.02])), "II.gep-shrinks"),         # equal ends: not below
    (dict(skew=np.array([[0.01, -6 * SE_SKEW], [0.0, 0.0]])), "II.skewness"),   # two-sided: a negative one fails
    (dict(exkurt=np.array([[0.0, 0.0], [5.1 * SE_KURT, 0.0]])), "II.kurtosis"),
])
def test_a_value_outside_the_band_gives_the_failing_verdict(change, check):
    assert verdicts(**change)[check] == NOT_REPRODUCED


def test_band_edges_and_measured_values():
    assert ii.abc(0.99e-8).passed and not ii.abc(1e-8).passed
    c = ii.mc_exact(np.array([0.01, 0.04]), 0.04)             # strict: at the tolerance fails
    assert not c.passed and c.measured == 0.04 and "5 standard errors" in c.tolerance
    assert ii.gep_slope(-0.41).passed and not ii.gep_slope(-0.4).passed
    assert ii.gep_shrinks(np.array([0.04, 0.01])).measured == pytest.approx(0.25)
    s = ii.skewness(np.array([0.001, -4.9 * SE_SKEW]), SE_SKEW)
    assert s.passed and s.measured == pytest.approx(4.9 * SE_SKEW)
    assert not ii.kurtosis(np.array([5 * SE_KURT]), SE_KURT).passed


def test_every_check_is_asserted_and_backs_the_gep_claim_where_it_should():
    by_id = {c.id: c for c in ii.checks(**good())}
    assert all(c.asserted for c in by_id.values())
    assert {i for i, c in by_id.items() if c.paper_claim == "GEP"} == {"II.gep-slope", "II.gep-shrinks",
                                                                       "II.skewness", "II.kurtosis"}
