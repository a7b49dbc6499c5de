"""lib.studies.style: a saved figure is closed (shown once in the book) yet still renders; defaults legible."""
from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.formatters import PNGFormatter
from IPython.core.pylabtools import print_figure

from lib.studies import style

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figure_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(style.paths, "figure_dir", lambda: tmp_path)
    return tmp_path


def _figure(width_in=6.4, **legend):
    fig, ax = plt.subplots(figsize=(width_in, 3.5))
    t = np.linspace(0, 1, 50)
    ax.plot(t, t ** 2, label="ODE")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\epsilon_g$")
    ax.legend(**legend)
    return fig


def test_savefig_writes_the_png_and_closes_the_figure(figure_dir):
    fig = _figure()
    assert fig.number in plt.get_fignums()
    path = style.savefig(fig, "closed")
    assert path == figure_dir / "closed.png" and path.read_bytes().startswith(PNG_MAGIC)
    assert fig.number not in plt.get_fignums()  # the inline backend has nothing left to show


def test_a_closed_figure_still_renders_for_glue(figure_dir):
    """glue formats the Figure through IPython's display formatter, which draws on the figure's canvas:
    the PNG comes out of a closed figure the same as out of an open one."""
    fig = _figure()
    style.savefig(fig, "glued")
    assert fig.number not in plt.get_fignums()
    png = print_figure(fig, "png")  # what the inline backend's PNG formatter calls for a Figure
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(PNG_MAGIC) and len(buf.getvalue()) > 5_000


def test_ipython_png_formatter_renders_a_closed_figure(figure_dir):
    """The formatter myst-nb's glue goes through (IPython's display formatter for image/png), registered for
    Figure as the inline backend registers it."""
    from matplotlib.figure import Figure

    formatter = PNGFormatter()
    formatter.for_type(Figure, lambda f: print_figure(f, "png", bbox_inches="tight"))
    fig = _figure()
    style.savefig(fig, "formatted")
    png = formatter(fig)
    assert png is not None and png.startswith(PNG_MAGIC) and len(png) > 5_000


def test_display_size_at_the_column_width():
    # a figure narrower than the column is shown at its own size: 110 px/in over 96 px/in
    assert style.display_pt(12, 5, dpi=110) == pytest.approx(12 * 110 / 96)
    # a wider one is shrunk to the column
    assert style.display_pt(12, 20, dpi=110) == pytest.approx(12 * 784 / (20 * 96))
    assert style.display_pt(12, 20) < style.display_pt(12, 10) < style.display_pt(12, 5)


def test_defaults_are_legible_up_to_the_widest_figure():
    """Every default text size reads at >= 9 pt in a figure MAX_WIDTH_IN wide shown at the column width."""
    rc = style.RC
    for key in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
        assert style.display_pt(rc[key], style.MAX_WIDTH_IN) >= style.MIN_DISPLAY_PT, key
    assert rc["figure.dpi"] == style.DPI and rc["figure.figsize"][0] <= style.MAX_WIDTH_IN
    # and the style is the one in force
    assert plt.rcParams["legend.fontsize"] == style.SMALL_PT


def test_legibility_flags_wide_figures_and_small_fonts():
    ok = _figure(6.4)
    wide = _figure(16)
    small = _figure(6.4, fontsize=6)
    try:
        assert style.legibility(ok)["ok"]
        w = style.legibility(wide)
        assert not w["ok"] and w["width_in"] > style.MAX_WIDTH_IN and w["display_pt"] < style.MIN_DISPLAY_PT
        s = style.legibility(small)
        assert not s["ok"] and s["smallest_pt"] == 6
    finally:
        for f in (ok, wide, small):
            plt.close(f)


# ------------------------------------------------------------------------------ every figure of the book
# Each figures function of lib.studies, drawn from small inputs (synthetic, or the tiny settings the modules'
# own tests use), measured from the Figure object: at most MAX_WIDTH_IN wide (its saved, tight box) and no
# visible text below MIN_DISPLAY_PT once the book shrinks it to the column (style.legibility).

def _hidden_manifold():
    from lib.studies import hidden_manifold as hm

    N_values = np.array([250.0, 500.0, 1000.0, 2000.0])             # the chapter's grid (log ticks 3x10^2 ...)
    gaps = hm.CovarianceGaps(N=N_values, gep=0.1 / np.sqrt(N_values), mc=np.full(4, 1e-3), slope=-0.5,
                             intercept=np.log(0.1))
    res = hm.run_checks(hm.checks([40], 0.5, 2, 2, "sgn", 200, 1, 0))[40]
    yield "hidden_manifold.gap_figure", hm.gap_figure(gaps, 20_000, 0.5)
    yield "hidden_manifold.gaussianity_figure", hm.gaussianity_figure(res, hm.cumulants(res, 200), 2, 2)


def _gaussian_mixtures():
    from lib.studies import gaussian_mixtures as gm

    alphas, ms = [0, 1, 3, 5, 7, 9], [1, 2, 3, 4, 5]
    grid = np.outer(np.arange(1, len(ms) + 1), np.square(alphas)).astype(float)
    tables = {name: {False: grid * s, True: grid * s / 10} for name, s in
              (("exact", 50.0), ("exact_first", 50.0), ("knn_full", -5.0), ("exact_one", 0.1), ("knn_one", 0.1))}
    yield "gaussian_mixtures.per_coordinate_figure", gm.per_coordinate_figure(tables, alphas, ms, 500)
    yield "gaussian_mixtures.knn_vs_exact_figure", gm.knn_vs_exact_figure(tables, 500)


def _lemmas():
    from lib.studies import lemmas

    eps = [0.1, 0.03, 0.01]
    ii1, v1 = lemmas.remainders([["erf", "erf"], ["sgn", "sgn"], ["relu", "relu"]], eps, alpha=3.0, m=2, seed=0)
    yield "lemmas.remainders_figure", lemmas.remainders_figure(ii1, v1, eps)
    yield "lemmas.projection_figure", lemmas.projection_figure(
        lemmas.projections([1, 4, 16], samples=500, seed=0, alpha=3.0, m=2))
    yield "lemmas.sample_means_figure", lemmas.sample_means_figure(
        lemmas.sample_mean_study(20, 50, seed=0, alpha=3.0, m=2), 3.0, 2)


def _performance():
    from lib.studies import performance

    stored = performance.gather("none", 1)
    yield "performance.scaling_figure", performance.scaling_figure(stored.shown, stored.main)
    yield "performance.breakdown_figure", performance.breakdown_figure(stored.shown)


def _schematic():
    from lib.studies.schematic import draw_schematic

    yield "schematic.draw_schematic", draw_schematic()


def _ode_vs_sgd():
    from lib.pipeline.chapters import parameter_defaults
    from lib.studies import ode_vs_sgd as study
    from lib.studies import ode_vs_sgd_figures as figures

    tiny = {"activations": ["erf", "relu"], "N": 40, "D": 20, "runs": 2, "t_max": 1.0, "N_values": [20, 30, 40, 50, 60],
            "seeds": 2, "conv_runs": 1, "conv_t_max": 0.2, "points": 8}
    data = study.chapter_data({**parameter_defaults("02b_ode"), **tiny})
    yield "ode_vs_sgd_figures.trajectories_figure", figures.trajectories_figure(data.cells)
    yield "ode_vs_sgd_figures.convergence_figure", figures.convergence_figure(data.convergence,
                                                                              study.convergence_fits(data))


def _mixture_dynamics():
    from lib.studies import mixture_dynamics_figures as figures
    from lib.studies.mixture_dynamics import Chapter

    import test_studies_mixture_dynamics as inputs   # the tiny chapter of the module's own tests

    params = inputs.PARAMS
    chapter = Chapter(**params)
    results = chapter.sweeps()
    for name, fig in figures.activation_figures(chapter, results, "relu").items():
        yield f"mixture_dynamics_figures.{name}", fig
    yield "mixture_dynamics_figures.placeholder", figures.placeholder("not run under these parameters")


def _pseudo_real():
    """Chapter 07's figures, on the synthetic summaries and the tiny run of its own tests (imported from them,
    so they stay the module's reference inputs)."""
    import test_studies_pseudo_real as inputs

    from lib.studies import pseudo_real_figures as figs
    from lib.studies.pseudo_real import mnist_dynamics

    yield "pseudo_real_figures.images_figure", figs.images_figure(inputs._fit_summary())
    yield "pseudo_real_figures.teacher_accuracy_figure", figs.teacher_accuracy_figure(inputs._teacher_study())
    fields = {"kde": inputs._field([0, 0], [1, 1], [0, 0]), "standardized": inputs._field([0, 0], [1, 1], [0, 0])}
    yield "pseudo_real_figures.field_figure", figs.field_figure(fields)
    gaps = inputs.tlog_gaps({"gaussian": inputs._Dyn(1.0), "kde": inputs._Dyn(4.0), "standardized": inputs._Dyn(2.0)})
    yield "pseudo_real_figures.gaps_figure", figs.gaps_figure(gaps)
    ch = inputs.PseudoRealChapter.from_parameters(inputs._parameters(**inputs.TINY))
    kd = mnist_dynamics(ch.base)
    yield "pseudo_real_figures.dynamics_figure", figs.dynamics_figure(kd)
    yield "pseudo_real_figures.appendix_figure", figs.appendix_figure([(kd, kd)], [ch.main_teacher], ch.teachers())


# chapter 06's figures are measured by its own test (tests/test_studies_universality.py, the same rule)
FIGURE_MODULES = [_hidden_manifold, _gaussian_mixtures, _lemmas, _performance, _schematic, _ode_vs_sgd,
                  _mixture_dynamics, _pseudo_real]


@pytest.mark.parametrize("make", FIGURE_MODULES, ids=lambda f: f.__name__.strip("_"))
def test_every_figure_reads_at_the_column_width(make):
    """Every figure the module makes: <= MAX_WIDTH_IN wide and every visible text >= MIN_DISPLAY_PT on screen."""
    bad = {}
    for name, fig in make():
        try:
            read = style.legibility(fig)
            if not read["ok"]:
                bad[name] = read
        finally:
            plt.close(fig)
    assert not bad, bad
