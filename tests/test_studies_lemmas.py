"""lib.studies.lemmas: the chapter's grids over lib.measures.lemmas, its tables, the numbers its checks read
and its figures (notebooks/05_lemmas.py). The lemma mathematics itself: tests/test_lemmas.py."""
import math

import numpy as np
import pytest

from lib.studies import lemmas as study


def _v1(name, c0, c1, gap=0.01):
    eps = np.array([0.1, 0.01, 0.001])
    return {"u": name, "v": name, "eps": eps, "remainder0": c0 * eps, "remainder1": -c1 * eps**2,
            "gap": np.array([gap, 0.0, 0.0])}


def test_slopes_of_exact_power_laws():
    x = np.array([0.3, 0.1, 0.03])
    assert study.slope(x, -5 * x**3) == pytest.approx(3.0)
    s0, s1 = study.v1_slopes([_v1("sgn", 2.0, 3.0), _v1("relu", 0.5, 0.1)])
    assert np.allclose(s0, [1, 1]) and np.allclose(s1, [2, 2])


def test_lemma_table():
    ii1 = [{"u": "sgn", "v": "sgn", "c2": 0.0, "remainder_over_eps2": np.array([0.1, 0.01])}]
    lines = study.lemma_table(ii1, [_v1("sgn", 2.0, 3.0, gap=-0.25)], [0.1, 0.01, 0.001]).splitlines()
    assert len(lines) == 3 and lines[0].endswith("mixture - Gaussian at eps = 0.1 |")
    assert lines[2] == "| sgn, sgn | 0.00000 | 0.01000 | 1.00 | 2.00 | -0.2500 |"


def _v3():
    law = lambda exact, gauss=0.5, sampled=(): {"exact": exact, "gaussian": gauss, "gap": exact - gauss,
                                                "sampled": np.array(sampled)}
    return {("sgn", "uniform"): law(0.5), ("sgn", "pareto"): law(0.9), ("sgn", "lorentz"): law(math.nan, sampled=[-0.4, 0.3]),
            ("erf", "uniform"): law(0.5 + 1e-9), ("erf", "pareto"): law(0.7),
            ("erf", "lorentz"): law(math.nan, sampled=[math.inf, 0.1]),
            ("sgn", "laplace"): law(0.5), ("erf", "laplace"): law(0.5), ("sgn", "beta(beta1)"): law(0.5 - 2e-9),
            ("erf", "beta(beta1)"): law(0.5), ("quartic", "uniform"): law(1.8, 3.0), ("quartic", "laplace"): law(6.0, 3.0)}


def test_v3_summaries():
    v3 = _v3()
    assert study.worst_gap(v3, "sgn") == (pytest.approx(0.4), "pareto")       # Lorentz has no exact value
    assert study.symmetric_gap(v3) == pytest.approx(2e-9)
    assert study.quartic_error(v3) == pytest.approx(0.0, abs=1e-12)
    v3[("quartic", "laplace")] = {**v3[("quartic", "laplace")], "gap": 3.5}
    assert study.quartic_error(v3) == pytest.approx(0.5)


def test_v3_table():
    v3 = {k: r for k, r in _v3().items() if k[0] in ("sgn", "erf") and k[1] in ("uniform", "pareto", "lorentz")}
    lines = study.v3_table(v3, ["sgn", "erf"]).splitlines()
    assert lines[0] == "| f | Gaussian | uniform | pareto | lorentz |"
    assert lines[2] == "| sgn | 0.5000 | 0.5000 | 0.9000 | -0.40 .. +0.30 |"
    assert lines[3].endswith("| no finite value |")


def test_law_label_and_centre_z():
    assert study.law_label("beta", {"preset": "beta2"}) == "beta(beta2)" and study.law_label("gmm", {"m": 3}) == "gmm"
    r = {"input": np.array([1.0, 2.0, 3.0, 4.0]), "exact_input": 2.0}
    assert study.centre_z(r, "input", "exact_input") == pytest.approx(0.5 / (np.std([1, 2, 3, 4], ddof=1) / 2))


def test_grids_on_small_inputs():
    ii1, v1 = study.remainders([["erf", "erf"]], [0.1, 0.01], alpha=3.0, m=2, seed=0)
    assert ii1[0]["u"] == "erf" and len(v1[0]["eps"]) == 2
    v3 = study.v3_grid(["sgn"], [["uniform", {}], ["beta", {"preset": "beta1"}], ["lorentz", {}]], seed=0,
                       lorentz_seeds=2)
    assert list(v3) == [("sgn", "uniform"), ("sgn", "beta(beta1)"), ("sgn", "lorentz")]
    assert abs(v3[("sgn", "uniform")]["gap"]) < 1e-8 and v3[("sgn", "lorentz")]["sampled"].shape == (2,)
    proj = study.projections([1, 4], samples=1000, seed=0, alpha=3.0, m=2)
    assert list(proj) == [name for name, _ in study.PROJECTED_LAWS] and list(proj["gmm"]["D"]) == [1, 4]
    sm = study.sample_mean_study(20, 5, seed=0, alpha=3.0, m=2)
    assert list(sm) == list(study.SAMPLE_MEAN_FUNCTIONS) and sm["relu"]["input"].shape == (5,)


def test_figures_have_their_panels():
    import matplotlib.pyplot as plt

    ii1 = [{"u": "sgn", "v": "sgn", "eps": np.array([0.1, 0.01]), "remainder": np.array([1e-3, 1e-6])}]
    fig = study.remainders_figure(ii1, [_v1("sgn", 1.0, 1.0)], [0.1, 0.01])
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 3
    plt.close(fig)
    proj = {"pareto": {"D": [1, 10], "gap": np.array([0.1, 0.01]), "se": np.array([0.001, 0.001])}}
    fig = study.projection_figure(proj)
    assert len(fig.axes) == 1
    plt.close(fig)
    rng = np.random.default_rng(0)
    sm = {f: {"input": rng.normal(size=50), "gaussian": rng.normal(size=50), "exact_input": 0.0,
              "exact_gaussian": 0.0} for f in ("erf", "sgn")}
    fig = study.sample_means_figure(sm, 5.0, 3)
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel() == "sample mean of sgn(x)"
    plt.close(fig)


def test_lemma_v1_keeps_the_correlations_the_drawn_mixture_can_carry():
    """Seed 4's standardised GM(3, 3) carries |eps| < 0.16 only: the chapter's largest eps (0.3) used to stop it
    with an error; now the grid keeps the values below 0.9 of the limit, and too few of them is a clear error."""
    from lib.core.validate import ParameterError
    from lib.measures.lemmas import v1_eps_limit

    limit = v1_eps_limit(5.0, 3, 4)                       # the chapter's mixture (alpha = 5, m = 3) on seed 4
    assert 0.1 < limit < 0.3
    grid = [0.3, 0.1, 0.03, 0.01, 0.003]
    assert study.usable_eps(grid, alpha=5.0, m=3, seed=4) == [0.1, 0.03, 0.01, 0.003]
    assert study.usable_eps(grid, alpha=5.0, m=3, seed=0) == grid          # the default seed keeps the grid
    ii1, v1 = study.remainders([("sgn", "sgn")], grid, alpha=5.0, m=3, seed=4)
    assert len(ii1[0]["eps"]) == 5 and max(v1[0]["eps"]) < limit
    with pytest.raises(ParameterError, match="eps_values"):
        study.usable_eps([0.3, 0.2, 0.1], alpha=5.0, m=3, seed=3)      # limit 0.079: nothing left
