"""lib.studies.gaussian_mixtures: the summaries of the KL tables (k-NN errors, spreads, steps, the
full-dimension trap), the k-NN table and the figures of notebooks/03_gaussian_mixtures.py, on synthetic tables
(the cached study itself: tests/test_section3.py)."""
import numpy as np
import pytest

from lib.studies import gaussian_mixtures as study

MS, ALPHAS = [1, 2, 3], [0, 1, 5]


def _tables():
    """Synthetic tables (3 m x 3 alpha) for both settings, with known summaries."""
    exact_one = {False: np.array([[0.0, 0.5, 8.0], [0.0, 0.2, 10.0], [0.0, 0.3, 2.0]]),
                 True: np.array([[0.0, 0.1, 0.4], [0.0, 0.1, 0.9], [0.0, 0.2, 0.5]])}
    knn_one = {False: exact_one[False] + np.array([[0.01, -0.03, -4.0], [0.0, 0.02, -2.0], [0.0, 0.0, 0.1]]),
               True: exact_one[True] + 0.05}
    exact_first = {False: np.array([[0.0, 5.0, 20.0], [0.0, 12.0, 40.0], [0.0, 0.5, 30.0]]),
                   True: np.array([[0.0, 1.0, 2.0], [0.0, 2.0, 3.0], [0.0, 0.5, 1.0]])}
    knn_full = {False: np.array([[-1.0, 4.0, 15.0], [-1.0, -3.0, 10.0], [-1.0, 0.2, 20.0]]),
                True: exact_first[True] - 0.5}
    exact = {False: np.array([[0.0, 1.0, 2.0], [0.0, 10.0, 30.0], [0.0, 8.0, 20.0]]),
             True: np.array([[0.0, 0.5, 1.0], [0.0, 2.0, 4.0], [0.0, 1.0, 3.0]])}
    return {"exact": exact, "exact_first": exact_first, "knn_full": knn_full, "exact_one": exact_one,
            "knn_one": knn_one}


def test_one_d_errors():
    err, rel = study.one_d_errors(_tables())
    assert err == pytest.approx(0.05)                  # the standardised cells, all below 1 nat, are off by 0.05
    assert rel == pytest.approx(50.0)                  # 4 of 8 nats; 2 of 10 is 20 %
    t = _tables()
    t["exact_one"] = {st: np.minimum(x, 1.0) for st, x in t["exact_one"].items()}
    assert study.one_d_errors(t)[1] == 0               # no cell above 5 nats


def test_one_d_ratios_keep_the_cells_between_a_tenth_and_one_nat():
    t = _tables()
    ex, kn = study._both(t, "exact_one"), study._both(t, "knn_one")
    keep = (ex >= 0.1) & (ex < 1.0)
    assert keep.sum() == 9 and keep.sum() < ex.size
    np.testing.assert_allclose(study.one_d_ratios(t), kn[keep] / ex[keep])


def test_small_one_d_errors():
    small = study.small_one_d_errors(_tables())
    assert small.size == 2 * 9 - 3 and small.max() == pytest.approx(0.05)   # 3 unstandardised cells above 1 nat


def test_spread_and_alpha_steps():
    by_alpha, by_m = study.spread(_tables()["exact"][False])
    assert by_alpha == pytest.approx((2 + 30 + 20) / 3) and by_m == pytest.approx((0 + 9 + 28) / 3)
    steps = study.alpha_steps(_tables()["exact"][False], MS)
    assert steps.tolist() == [[10.0, 20.0], [8.0, 12.0]]


def test_wrong_sign_and_full_dimension_trap():
    t = _tables()
    # cells with exact > 1 nat: 5, 20, 12, 40, 30; negative estimate in one of them (12 -> -3)
    assert study.wrong_sign_fraction(t) == pytest.approx(1 / 5)
    ratio, estimate = study.full_dimension_trap(t, MS)
    # m >= 2 and exact > 10: 12, 40 (m = 2), 30 (m = 3)
    assert estimate.tolist() == [-3.0, 10.0, 20.0] and np.allclose(ratio, [-3 / 12, 10 / 40, 20 / 30])


def test_knn_table():
    lines = study.knn_table(_tables(), ALPHAS, MS).splitlines()
    assert len(lines) == 2 + 2 * 9
    assert lines[2 + 4] == "| no | 2 | 1 | 12.00 | -3.00 |" and lines[-1].startswith("| yes | 3 | 5 |")


def test_figures_have_their_panels():
    import matplotlib.pyplot as plt

    fig = study.per_coordinate_figure(_tables(), ALPHAS, MS, D=10)
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 3 * len(MS)
    plt.close(fig)
    fig = study.knn_vs_exact_figure(_tables(), D=10)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 3
    plt.close(fig)
