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
