"""tLog-RMSE on synthetic trajectories with known answers."""
import math

import numpy as np
import pytest
import torch

from lib.measures.metrics import log_time_indices, tlog_rmse, tlog_rmse_mean
from lib.core.validate import ParameterError


def log_grid(lo=-2.0, hi=2.0, n=41):
    return np.concatenate([[0.0], np.logspace(lo, hi, n)])


def test_constant_offset_gives_its_size_and_t0_is_excluded():
    t = log_grid()
    b = np.random.default_rng(0).normal(size=(t.size, 2, 2))
    offset = np.array([[0.1, -0.2], [0.3, 0.0]])
    a = b + offset
    a[0] += 100.0  # t = 0 must not count
    np.testing.assert_allclose(tlog_rmse(t, a, b), np.abs(offset), rtol=1e-12)
    assert tlog_rmse_mean(t, a, b) == pytest.approx(np.abs(offset).mean())  # eq. 20


def test_known_root_mean_square_on_the_log_grid():
    t = log_grid(-2, 2, 41)  # log10 t = -2, -1.9, ..., 2 : symmetric around 0
    a = np.log10(np.maximum(t, 1e-300))
    b = np.zeros_like(t)
    expected = math.sqrt(np.mean(np.linspace(-2, 2, 41) ** 2))  # = sqrt(1.4)
    assert tlog_rmse(t, a, b) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(math.sqrt(1.4), rel=1e-12)


def test_runs_and_broadcasting_against_one_ode_trajectory():
    t = log_grid(n=20)
    ode = np.zeros((t.size, 2))
    sgd = np.zeros((3, t.size, 2))
    sgd[1, :, 0] = 2.0
    sgd[2, 1:, 1] = np.where(np.arange(1, t.size) % 2 == 0, 1.0, -1.0)  # alternating +-1
    got = tlog_rmse(t, sgd, ode)  # (runs, components)
    np.testing.assert_allclose(got, [[0, 0], [2, 0], [0, 1]], atol=1e-15)
    np.testing.assert_allclose(tlog_rmse_mean(t, sgd, ode), [0, 1, 0.5], atol=1e-15)
    np.testing.assert_allclose(tlog_rmse(t, torch.tensor(sgd), torch.tensor(ode)), got)


def test_points_resample_log_spaced_nearest_indices():
    t = np.arange(0, 1001) * 0.1  # a LINEAR grid 0, 0.1, ..., 100
    idx = log_time_indices(t, points=3)  # targets 0.1, 10**0.5 ~ 3.16, 100 -> nearest 0.1, 3.2, 100
    np.testing.assert_allclose(t[idx], [0.1, 3.2, 100.0])
    a = (t < 1).astype(float)  # differs only for t < 1: 9 of 1000 positive linear points, 1 of 3 log points
    b = np.zeros_like(t)
    assert tlog_rmse(t, a, b) == pytest.approx(math.sqrt(9 / 1000))
    assert tlog_rmse(t, a, b, points=3) == pytest.approx(math.sqrt(1 / 3))
    # more points than recorded times: duplicates collapse to every positive time once
    assert len(log_time_indices(log_grid(n=5), points=50)) == 5


def test_bad_input_raises():
    t = log_grid(n=5)
    with pytest.raises(ParameterError, match="increasing"):
        tlog_rmse(t[::-1], np.zeros(6), np.zeros(6))
    with pytest.raises(ParameterError, match="broadcast"):
        tlog_rmse(t, np.zeros((6, 2)), np.zeros((6, 3)))
    with pytest.raises(ParameterError, match="time axis"):
        tlog_rmse(t, np.zeros((6, 6)), np.zeros((6, 6)))
    assert tlog_rmse(t, np.ones((6, 6)), np.zeros((6, 6)), time_axis=0).shape == (6,)
    with pytest.raises(ParameterError, match="NaN"):
        tlog_rmse(t, np.full(6, np.nan), np.zeros(6))
    with pytest.raises(ParameterError, match="no time > 0"):
        tlog_rmse([0.0], np.zeros(1), np.zeros(1))
