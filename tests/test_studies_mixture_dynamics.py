"""Unit tests of the chapter-level parts of Section IV: lib.studies.mixture_dynamics.Chapter, the prose numbers and
claim inputs of lib.studies.mixture_dynamics_numbers, and smoke tests of lib.studies.mixture_dynamics_figures."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lib.core.validate import ParameterError  # noqa: E402
from lib.studies import mixture_dynamics_figures as figures  # noqa: E402
from lib.studies import mixture_dynamics_numbers as numbers  # noqa: E402
from lib.studies.mixture_dynamics import (Chapter, Setup, SweepResult, gaussian_scatter, growth_with_time,  # noqa: E402
                                          half_steps, late_mean, latent_covariance_top, mixture_mean, paper_table,
                                          versus_floor)

PARAMS = dict(activations=["relu", "erf"], f="sgn", ms=[2], alphas=[0, 3, 6, 9], appendix_ms=[2],
              appendix_alphas=[0, 9], shared_alphas=[9], standardize=[False, True], n_mixtures=1, runs=2,
              N=120, D=60, K=2, M=2, lr=0.2, t_max=1.0, seed=0)


def _sweep(tlog, alphas, ms=(2,), standardize=True, variant="coordinate", setup=None) -> SweepResult:
    """A SweepResult holding ``tlog`` (name -> (nm, na, nx, R, *comps)) with unit scales and zero KL."""
    s = setup or Setup(runs=tlog["Q"].shape[3])
    res = SweepResult(s, tuple(ms), tuple(float(a) for a in alphas), tlog["Q"].shape[2], standardize, variant,
                      t=np.array([0.0, 0.01, 0.1, 1.0, 10.0]))
    res.tlog = tlog
    res.scale = {n: np.ones(x.shape[:3] + x.shape[4:]) for n, x in tlog.items()}
    res.kl, res.kl_err = np.zeros(tlog["Q"].shape[:3]), np.zeros(tlog["Q"].shape[:3])
    return res


def _tlog(levels, runs=2, seed=0):
    """Per-run tLog-RMSE of Q, R (2 x 2) and v (2) around ``levels`` (nm, na), small scatter over runs."""
    rng = np.random.default_rng(seed)
    lv = np.asarray(levels, dtype=float)[:, :, None, None]
    noise = lambda *comps: 1 + 0.01 * rng.standard_normal(lv.shape[:2] + (1, runs) + comps)
    return {"Q": lv[..., None, None] * noise(2, 2), "R": 2 * lv[..., None, None] * noise(2, 2),
            "v": 3 * lv[..., None] * noise(2)}


def test_chapter_checks_its_parameters():
    c = Chapter.of({**PARAMS, "unrelated": 1})
    assert c.setup("erf") == Setup(g="erf", N=120, D=60, runs=2, t_max=1.0)
    assert c.grid("relu") == ([2], [0, 3, 6, 9], 2, 9)
    assert c.grid("erf") == ([2], [0, 9], 2, 9)                 # the appendix grid
    for bad, match in ((dict(activations=["tanh"]), "activations"), (dict(standardize=[1]), "standardize"),
                       (dict(alphas=[3, 0]), "alphas"), (dict(appendix_alphas=[]), "appendix_alphas"),
                       (dict(appendix_ms=[]), "appendix_ms")):
        with pytest.raises(ParameterError, match=match):
            Chapter(**{**PARAMS, **bad})
    with pytest.raises(KeyError):
        Chapter.of({k: v for k, v in PARAMS.items() if k != "seed"})


def test_vgap_numbers():
    un = _sweep(_tlog([[1, 2, 3]]), (0, 3, 9), standardize=False)
    t = un.t
    un.vgap = np.stack([np.outer([1.0], t + 0.5), np.outer([2.0], t + 1.0), np.outer([3.0], 10 * t + 1.0)])[None]
    out = numbers.vgap_numbers(un, 2)
    assert out["v_growth"] == f"{growth_with_time(un.vgap[0, -1], t):.0f}" and float(out["v_growth"]) > 10
    assert out["v_growth0"] == f"{growth_with_time(un.vgap[0, 0], t):.0f}"
    late = late_mean(un.vgap[0], t).mean(axis=1)
    assert out["v_late_max"] == f"{late[-1]:.3f}" and out["v_late_0"] == f"{late[0]:.4f}"


def test_unstandardised_numbers():
    # three alphas: the growth over the alphas > 0 is not told
    un = _sweep(_tlog([[1, 4, 5], [1, 8, 9]]), (0, 3, 9), ms=(2, 3), standardize=False)
    out = numbers.unstandardised_numbers(un)
    assert out["un_ratio_Q"] == f"{(un.mean('Q')[:, -1] / un.mean('Q')[:, 0]).min():.0f}" == "5"
    assert out["un_ratio_v"] == "5" and out["un_rel_Q"] == f"{un.mean('Q')[1, -1]:.2f}"   # scale 1
    assert out["near0_n"] == out["un_span_Q"] == "(needs four alphas)"
    # four alphas: spans and the centred mixtures' half steps
    un = _sweep(_tlog([[1, 2, 3, 4], [1, 2, 4, 8]]), (0, 3, 6, 9), ms=(2, 3), standardize=False)
    out = numbers.unstandardised_numbers(un)
    assert out["un_span_Q"] == f"{(un.mean('Q')[:, -1] / un.mean('Q')[:, 1]).mean():.1f}"
    assert out["un_alpha_1"] == "3"
    mu = np.stack([mixture_mean(un, i, 3) / 9 for i in range(2)])
    near0 = np.abs(mu) < numbers.NEAR_ZERO_MEAN
    assert out["near0_n"] == f"{near0.sum()} of the 2"
    lower, upper = half_steps(np.moveaxis(un.per_mixture("Q")[:, 1:], 1, -1)[near0])
    assert out["near0_Q_faster"] == f"{(upper > lower).sum()}"
    # levels 2, 4, 8 (m = 3) accelerate in Q; 2, 3, 4 (m = 2) grow evenly, within the 1 % noise either way
    if near0[1, 0]:
        assert int(out["near0_Q_faster"]) >= 1


def test_standardised_and_table_numbers():
    st = _sweep(_tlog([[1.0, 1.1, 0.9], [1.0, 1.2, 1.05]]), (0, 3, 9), ms=(2, 3))
    st.kl = np.array([[[0.01], [2.0], [30.0]], [[0.01], [3.0], [50.0]]])
    out = numbers.standardised_numbers(st)
    ratios = [st.mean(n) / st.mean(n)[0, 0] for n in ("Q", "R", "v")]
    assert out["st_ratio_max"] == f"{max(r.max() for r in ratios):.2f}"
    assert out["st_ratio_min"] == f"{min(r.min() for r in ratios):.2f}"
    assert (out["st_kl_0"], out["st_kl_min"], out["st_kl_max"]) == ("0.01", "2.0", "50")
    assert out["st_rel"] == f"{max(st.mean(n).max() for n in ('Q', 'R', 'v')):.3f}"       # scales are 1
    paper = paper_table("relu")
    rows = {"alpha=0": list(2 * np.array(paper["alpha=0"][:8])) + list(0.5 * np.array(paper["alpha=0"][8:]))}
    assert numbers.table_numbers(rows, "relu") == {"table_ratio_QR": "2.00", "table_ratio_v": "0.50"}
    assert set(numbers.table_numbers(rows, "relu", prefix="app_")) == {"app_table_ratio_QR", "app_table_ratio_v"}


def test_shared_numbers():
    setup = Setup(D=40)
    st = _sweep(_tlog([[1.0, 1.0]]), (0, 9), setup=setup)
    sh = _sweep(_tlog([[1.0, 5.0]]), (0, 9), variant="shared", setup=setup)
    st.kl[0, 1], sh.kl[0, 1], sh.kl_err[0, 1] = 12.0, 80.0, 1.5
    out = numbers.shared_numbers(setup, {True: st, "shared": sh}, [9], 2)
    assert out["a_sh"] == "9" and out["sh_ratio_Q"] == f"{sh.mean('Q')[0, 1] / st.mean('Q')[0, 0]:.1f}"
    assert float(out["sh_ratio_Q"]) == pytest.approx(5, abs=0.2)
    assert (out["sh_kl"], out["sh_kl_se"], out["co_kl"]) == ("80", "1.5", "12")
    assert float(out["spike"]) > 5 and float(out["spike_co"]) == pytest.approx(1, abs=0.1)
    assert out["spike"] == f"{latent_covariance_top(setup.comparison(9, 2, True, 'shared').distribution()):.0f}"
    st3 = _sweep(_tlog([[1.0, 1.0]]), (0, 3), setup=setup)             # the shared alpha is not in the grid
    assert numbers.shared_numbers(setup, {True: st3, "shared": sh}, [9], 2)["co_kl"] == "(not in the grid)"


@pytest.fixture(scope="module")
def tiny():
    """The chapter on a tiny model (N = 120, D = 60, t = 1): its sweeps, one for each activation."""
    chapter = Chapter(**PARAMS)
    return chapter, chapter.sweeps()


def test_claim_stats_on_the_tiny_chapter(tiny):
    chapter, results = tiny
    assert set(results["relu"]) == {False, True, "shared"}
    s = numbers.claim_stats(chapter, results, "relu")
    st, un, sh = (results["relu"][k] for k in (True, False, "shared"))
    sG = gaussian_scatter(st, un, "R")[0]
    assert s.floor["R"] == st.mean("R")[0, 0] and s.spread["R"] == st.spread["R"][0, 0].mean()
    np.testing.assert_allclose(s.z_raw["R"], versus_floor(un, un, "R", sG)[1])
    np.testing.assert_allclose(s.z_std["R"], versus_floor(st, st, "R", sG)[1])
    assert s.z_shared["R"] == versus_floor(sh, st, "R", sG)[1][0, -1] and s.shared_alpha == 9.0
    assert set(s.grows) == {"Q", "R", "v"} and s.kl_steps.shape == (1, 3) and s.v_late.shape == (4,)
    assert s.kl_max == st.kl_mean().max() and s.kl_max > 0
    up, se, dof = s.grows["R"]                                         # from the smallest alpha > 0 to the largest
    d = (un.per_mixture("R")[:, -1] - un.per_mixture("R")[:, 1]).ravel()   # one value per (m, mixture) pair
    assert up == d.mean() and dof == d.size - 1
    assert se == (d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.inf)
    assert s.level_off["Q"].pairs == 1 and not s.level_off["Q"].tested
    assert s.shared_excess["R"][0] == sh.mean("R")[0, -1] / st.mean("R")[0, 0] - 1
    np.testing.assert_allclose(s.std_excess["R"][0], st.mean("R")[:, 1:] / st.mean("R")[0, 0] - 1)
    np.testing.assert_allclose(s.shared_excess["R"][0] / s.shared_excess["R"][1], s.z_shared["R"])
    assert min(s.travel.values()) > 0 and 0 < s.eg_drop
    e = numbers.claim_stats(chapter, results, "erf")                   # two alphas: no growth over alpha
    assert e.grows == {} and e.level_off == {} and set(e.z_raw) == {"Q", "R", "v"}
    only_std = Chapter(**{**PARAMS, "standardize": [True]})
    s = numbers.claim_stats(only_std, {"relu": {k: results["relu"][k] for k in (True, "shared")}}, "relu")
    assert s.z_raw == {} and s.kl_steps is None and set(s.z_std) == {"Q", "R", "v"}


def test_prose_numbers_on_the_tiny_chapter(tiny):
    chapter, results = tiny
    main = numbers.main_numbers(chapter, results)
    # the Gaussian scatter pools the 4 standardised cells and the raw alpha = 0 cell, 2 runs each
    assert main == {"near0_limit": "0.15", "sG_runs": "10", "g_main": "relu", "alpha_ex": "9", "m_ex": "2"}
    app = numbers.appendix_numbers(chapter, results, numbers.chapter_tables(chapter, results))
    assert app["app_g"] == "erf" and app["app_grid"] == "m ∈ {2} and α ∈ {0, 9}" and app["t_max_text"] == "1"
    summary = numbers.cell_summary(chapter, results, "erf")
    assert app["app_un_ratio"] == ", ".join(f"{x:.1f}" for x in summary["un_ratio"])
    assert app["app_sh_z"] == f"{min(summary['sh_z_all']):.1f}"
    assert float(app["app_table_ratio_QR"]) > 0 and float(app["app_table_ratio_v"]) > 0
    alone = numbers.appendix_numbers(Chapter(**{**PARAMS, "activations": ["relu"]}), results, {})
    assert alone["app_g"] == alone["app_sh_verdict"] == "(no further activation run)"
    assert alone["main_eg0"] == app["main_eg0"]
    table, texts = numbers.stalled_table(chapter.setup("relu"), results["relu"][False])
    rows, legend = table.split("\n\n")                               # the table, then a line naming its columns
    assert rows.count("\n") == 3 + len(results["relu"][False].alphas) and rows.startswith("| | $m$ = ")
    assert legend.startswith("Rows:")
    assert texts["m_still"] == "2"
    assert texts["stalled_active"].count("%") == 2
    tables = numbers.chapter_tables(chapter, results)
    assert list(tables) == ["relu", "erf"] and list(tables["relu"]) == ["alpha=0", "alpha=3", "alpha=6",
                                                                        "alpha=9", "E[|X|]"]
    assert numbers.chapter_tables(Chapter(**{**PARAMS, "standardize": [False]}), results) == {}


def test_figures_on_the_tiny_chapter(tiny):
    chapter, results = tiny
    figs = figures.activation_figures(chapter, results, "relu")
    axes = {k: len([a for a in f.axes if a.get_visible()]) for k, f in figs.items()}
    assert list(figs) == ["fig3", "fig4", "fig6u", "fig5", "fig6", "shared"]
    assert axes["fig3"] == axes["fig5"] == axes["shared"] == 4 and axes["fig4"] == 1
    assert all(len(figs[k].axes[0].child_axes) + len(figs[k].axes[2].child_axes) == 1 for k in ("fig6u", "fig6"))
    app = figures.appendix_figures(Chapter(**{**PARAMS, "standardize": [True]}), results)
    assert list(app) == ["app_fig3", "app_fig4", "app_fig6u", "app_fig5", "app_fig6", "app_shared"]
    assert app["app_fig3"].axes[0].texts[0].get_text() == "not run under these parameters"
    assert len(app["app_fig5"].axes) == 4
    none = figures.appendix_figures(Chapter(**{**PARAMS, "activations": ["relu"]}), results)
    assert none["app_shared"].axes[0].texts[0].get_text() == "no further activation run"
    plt.close("all")


def test_level_off_counts_pairs_and_decides_only_with_enough_of_them():
    """A gap that grows like sqrt(alpha) levels off, like alpha^2 accelerates; with 12 mixtures the sign test
    decides both ways, with 2 it cannot."""
    from lib.studies.mixture_dynamics_numbers import LEVEL_OFF_PAIRS, level_off

    alphas = [0, 1, 2, 3, 4, 5]
    for law, levels_off in ((np.sqrt, True), (np.square, False)):
        levels = np.array([[law(a) for a in alphas]])                          # (nm = 1, na)
        x = np.repeat(np.repeat(levels[:, :, None, None, None], 12, axis=2), 2, axis=3)   # 12 mixtures, 2 runs
        sweep = _sweep({n: x for n in ("Q", "R", "v")}, alphas)
        lo = level_off(sweep, "Q")
        assert lo.pairs == 12 >= LEVEL_OFF_PAIRS and lo.tested
        assert (lo.levels_off, lo.accelerates) == (levels_off, not levels_off) and lo.p_value < 0.01
    few = level_off(_sweep({n: x[:, :, :2] for n in ("Q", "R", "v")}, alphas), "Q")
    assert few.pairs == 2 and not few.tested
