"""Section III study: tables of the right shape, zero divergence for the Gaussian cell, bad grids refused."""
import numpy as np
import pytest

from lib.studies.gaussian_mixtures import KLStudy, kl_study
from lib.core.validate import ParameterError


def test_gaussian_cell_is_zero_and_alpha_increases_divergence():
    study = KLStudy(D=4, alphas=(0.0, 3.0), ms=(1, 2), n_mixtures=2, knn_samples=400, knn_samples_1d=400, seed=1)
    t = kl_study(study)
    for st in (False, True):
        for name in ("exact", "exact_first", "knn_full", "exact_one", "knn_one"):
            assert t[name][st].shape == (2, 2)
    # m = 1 is a single Gaussian: exactly the reference once standardised (exact moments)
    assert abs(t["exact"][True][0, 0]) < 1e-9
    # m = 2, alpha = 3 unstandardised: components 6 apart at most, certainly not Gaussian
    assert t["exact"][False][1, 1] > t["exact"][False][1, 0] + 0.1
    # kNN on 400 one-dimensional samples: standard error of order 0.05 nats; the Gaussian cell is near 0
    assert abs(t["knn_one"][True][0, 0]) < 0.2
    assert np.isfinite(t["knn_full"][False]).all()


@pytest.mark.parametrize("field, value", [("D", 0), ("n_mixtures", 0), ("ms", (0,)), ("alphas", (-1.0,)), ("k", 0)])
def test_bad_grid_names_the_parameter(field, value):
    base = dict(D=4, alphas=(0.0,), ms=(1,), n_mixtures=1, knn_samples=10, knn_samples_1d=10)
    with pytest.raises(ParameterError, match=field):
        KLStudy(**{**base, field: value})
