"""lib.core.shapes: exact moments of the five-atom laws, samplers within sampling error, parameter errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from lib.core.shapes import GaussianLaw, MomentLaw, Shaped, StudentT, make_law
from lib.core.validate import ParameterError

GRID = [(0.0, 0.0), (0.0, -1.5), (1.0, 2.0), (-1.5, 5.0), (2.0, 2.5), (0.5, 30.0), (1.0, -0.9)]


@pytest.mark.parametrize("skew,exkurt", GRID)
def test_atoms_have_the_prescribed_moments(skew, exkurt):
    law = MomentLaw(skew, exkurt)
    x, q = law.atoms()
    assert np.all(q >= 0) and q.sum() == pytest.approx(1, abs=1e-12)
    assert [law.raw_moment(k) for k in (1, 2, 3, 4)] == pytest.approx([0, 1, skew, exkurt + 3], abs=1e-9)


def _draw(law, n=50_000, D=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    c = law.sampler(D).sample(n, gen, dtype=torch.float64)
    assert c.shape == (n, D) and c.dtype == torch.float64
    return c.reshape(-1).numpy()


@pytest.mark.parametrize("skew,exkurt", GRID[:5])
def test_moment_law_sample_within_sampling_error(skew, exkurt):
    law = MomentLaw(skew, exkurt)
    x = _draw(law)
    n = x.size
    for k in (1, 2, 3, 4):                   # raw moments; the standard error from the exact 2k-th moment
        se = math.sqrt((law.raw_moment(2 * k) - law.raw_moment(k) ** 2) / n)
        assert abs(np.mean(x ** k) - law.raw_moment(k)) < 5 * se, (k, np.mean(x ** k), law.raw_moment(k), se)


def test_student_t_moments_within_sampling_error():
    nu = 10.0                                 # moments up to the eighth exist, so all four errors are known
    x = _draw(StudentT(nu), n=100_000)
    n = x.size
    f = (nu - 2) / nu
    raw = {1: 0.0, 2: 1.0, 3: 0.0, 4: 3 * (nu - 2) / (nu - 4)}
    even = {2: 1.0, 4: raw[4], 6: 15 * nu ** 3 / ((nu - 2) * (nu - 4) * (nu - 6)) * f ** 3,
            8: 105 * nu ** 4 / ((nu - 2) * (nu - 4) * (nu - 6) * (nu - 8)) * f ** 4}
    for k in (1, 2, 3, 4):
        se = math.sqrt((even[2 * k] - raw[k] ** 2) / n)
        assert abs(np.mean(x ** k) - raw[k]) < 5 * se, (k, np.mean(x ** k), raw[k], se)
    assert StudentT(nu).moments()["exkurt"] == pytest.approx(6 / (nu - 4))


@pytest.mark.parametrize("nu", [2.5, 4.0])
def test_heavy_student_t_has_the_right_law(nu):
    """Without a fourth moment the sample moments are no test; the law itself is (Kolmogorov-Smirnov)."""
    x = _draw(StudentT(nu), n=5_000, D=4, seed=1)
    scale = math.sqrt((nu - 2) / nu)
    assert stats.kstest(x, stats.t(nu, scale=scale).cdf).pvalue > 1e-3
    assert StudentT(nu).moments()["exkurt"] == math.inf


def test_gaussian_and_determinism():
    a, b = _draw(GaussianLaw(), n=1000), _draw(GaussianLaw(), n=1000)
    np.testing.assert_array_equal(a, b)
    assert abs(a.mean()) < 5 / math.sqrt(a.size)
    c = _draw(MomentLaw(1.0, 2.0), n=1000, seed=3)
    assert not np.array_equal(c, _draw(MomentLaw(1.0, 2.0), n=1000, seed=4))
    assert Shaped(MomentLaw(1.0, 2.0), 5).var.shape == (5,)


@pytest.mark.parametrize("make,name", [(lambda: MomentLaw(0.0, -2.5), "exkurt"), (lambda: MomentLaw(2.0, 1.0), "exkurt"),
                                       (lambda: MomentLaw("a", 0.0), "skew"), (lambda: MomentLaw(0.0, math.nan), "exkurt"),
                                       (lambda: StudentT(2.0), "nu"), (lambda: StudentT(-1), "nu"),
                                       (lambda: Shaped(GaussianLaw(), 0), "D"), (lambda: make_law(["foo"]), "law kind"),
                                       (lambda: make_law(["student"]), "student"),
                                       (lambda: Shaped("gaussian", 3), "law")])
def test_bad_parameters_name_the_parameter(make, name):
    with pytest.raises(ParameterError, match=name):
        make()


def test_make_law():
    assert make_law(["moments", 1, 2]) == MomentLaw(1.0, 2.0)
    assert make_law(["student", 3]) == StudentT(3.0)
    assert make_law(["gaussian"]) == GaussianLaw()
