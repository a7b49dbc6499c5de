"""Summaries of the excess over the Gaussian floor (lib.measures.excess) on constructed inputs with known answers."""
import math

import numpy as np
import pytest

from lib.measures import excess
from lib.core.validate import ParameterError


class FakeTest:
    """The two things lib.measures.excess reads from a FloorTest: ratio(law) and t[law]."""

    def __init__(self, ratios, ts):
        self.ratios, self.t = ratios, ts

    def ratio(self, law):
        return self.ratios[law]


def test_log_ratio_summaries():
    tests = {"Q": FakeTest({"a": 2.0, "b": 1.0}, {"a": 3.0, "b": 0.1}),
             "v": FakeTest({"a": 0.5, "b": 4.0}, {"a": -1.0, "b": 5.0})}
    logs = excess.log_ratios(tests, ["a", "b"])
    np.testing.assert_allclose(logs["a"], [math.log(2.0), math.log(0.5)])
    # geometric mean of 2, 0.5, 1, 4 is 4^(1/4) = sqrt(2)
    assert math.exp(excess.mean_log_ratio(tests, ["a", "b"])) == pytest.approx(math.sqrt(2.0))
    assert excess.largest_t(tests, ["a", "b"]) == (5.0, "b", "v")


def test_size_trend_recovers_a_one_over_N_decay():
    """Log-ratios that fall exactly like 1/N: the fitted slope equals the predicted one, the prediction
    reproduces every size, and the scatter between seeds sets geo_se."""
    c = 100.0
    logs = {(n, sd): c / n + (0.01 if sd else -0.01) for n in (250, 500, 1000, 2000) for sd in (0, 1)}
    trend = excess.size_trend(logs)
    assert trend.Ns == (250, 500, 1000, 2000)
    assert trend.slope == pytest.approx(trend.pred_slope, rel=1e-9)
    assert trend.slope < 0
    for n in trend.Ns:
        assert trend.predicted(n) == pytest.approx(math.exp(c / n), rel=1e-9)
        assert trend.geo_se[n] == pytest.approx(0.01, rel=1e-9)   # sd 0.01*sqrt(2) over 2 seeds / sqrt(2)


def test_size_trend_of_a_constant_excess_has_zero_slope():
    trend = excess.size_trend({(n, 0): 0.2 for n in (500, 1000, 2000)})
    assert trend.slope == pytest.approx(0.0, abs=1e-12)
    assert trend.pred_slope < 0                     # the 1/N decay it is compared with falls
    assert math.isnan(trend.geo_se[500])            # one seed: no scatter to estimate


def test_size_trend_needs_two_sizes():
    with pytest.raises(ParameterError, match="two sizes"):
        excess.size_trend({(1000, 0): 0.1, (1000, 1): 0.2})


def test_family_t_is_the_bonferroni_quantile():
    assert excess.family_t(0.001, 1, 10**7) == pytest.approx(3.0902, abs=1e-3)      # normal quantile at 1e-3
    assert excess.family_t(0.05, 10, 10**7) == pytest.approx(excess.family_t(0.005, 1, 10**7))
    assert excess.family_t(0.001, 28, 72) > excess.family_t(0.001, 1, 72)
    with pytest.raises(ParameterError, match="n_tests"):
        excess.family_t(0.001, 0, 72)
