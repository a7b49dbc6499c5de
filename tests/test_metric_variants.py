"""Each tLog metric variant against a hand computation on a small array."""
import numpy as np
import pytest

from lib.core.validate import ParameterError
from lib.measures import metric_variants as mv

T = np.array([0.0, 0.1, 1.0, 10.0])
A = np.array([[1.0, 3.0, 2.0, 5.0]])[..., None]      # (runs=1, T=4, comps=1)
B = np.array([[1.0, 1.0, 1.0, 4.0]])[..., None]


def test_rmse_by_hand():
    # t > 0: differences 2, 1, 1 -> sqrt((4 + 1 + 1) / 3)
    assert mv.variant("rmse", T, A, B)[0, 0] == pytest.approx(np.sqrt(2.0))


def test_eq18_literal_by_hand():
    # |x^2 - xh^2|: |9 - 1| = 8, |4 - 1| = 3, |25 - 16| = 9 -> mean of sqrt
    assert mv.variant("eq18", T, A, B)[0, 0] == pytest.approx((np.sqrt(8) + np.sqrt(3) + 3.0) / 3)


def test_mae_sqrt_mean_relative_by_hand():
    assert mv.variant("mae", T, A, B)[0, 0] == pytest.approx(4.0 / 3)
    assert mv.variant("sqrt_mean", T, A, B)[0, 0] == pytest.approx(np.sqrt(20.0 / 3))
    # rmse / mean |x_hat| over t > 0: sqrt(2) / (6 / 3)
    assert mv.variant("relative", T, A, B)[0, 0] == pytest.approx(np.sqrt(2.0) / 2.0)


def test_run_mean_rmse_by_hand():
    a = np.stack([A[0], A[0] - 2.0])                  # run mean = A - 1 -> differences 1, 0, 0
    assert mv.run_mean_rmse(T, a, B)[0] == pytest.approx(np.sqrt(1.0 / 3))


def test_time_grids():
    t = np.array([0.0, 0.01, 0.1, 1.0, 10.0, 100.0])
    assert list(mv.time_indices(t)) == [1, 2, 3, 4, 5]
    assert list(mv.time_indices(t, t_first=1.0)) == [3, 4, 5]
    assert list(mv.time_indices(t, t_first=1.0, include_zero=True)) == [0, 3, 4, 5]
    assert list(mv.time_indices(t, points=3)) == [1, 3, 5]
    # including t = 0 (where both start equal) lowers the RMSE by sqrt(3 / 4)
    full = mv.variant("rmse", T, A, B, idx=mv.time_indices(T, include_zero=True))[0, 0]
    assert full == pytest.approx(np.sqrt(6.0 / 4))


def test_errors():
    with pytest.raises(ParameterError):
        mv.variant("nope", T, A, B)
    with pytest.raises(ParameterError):
        mv.time_indices(T, t_first=1e3)
    with pytest.raises(ParameterError):
        mv.variant("rmse", T, A[:, :3], B[:, :3])
