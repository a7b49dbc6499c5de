"""One plotting style for the whole book.

Colour-blind-safe palette (Okabe & Ito), readable font sizes, and fixed conventions:
ODE curves solid, SGD means dashed with a shaded run-to-run band. Figures carry no titles:
captions come from the book.

Legible at the column width. The book shows a figure as a PNG of ``width_in * DPI`` pixels, shrunk to the
text column (``COLUMN_PX``, about 784 CSS pixels) when wider. A text of ``size`` points then reads as
``display_pt(size, width_in)`` points on screen (96 CSS pixels per inch). The defaults keep every text at
least ``MIN_DISPLAY_PT`` (9 pt) for figures up to ``MAX_WIDTH_IN`` (10 in) wide: the smallest default size
(ticks, legends) is ``SMALL_PT``. A wider figure, or a smaller explicit ``fontsize``, is too small to read;
:func:`legibility` measures a figure against this rule.

One image per figure. :func:`savefig` closes the figure after writing it, so the notebook's inline
backend does not show it again at the end of the cell; the chapter's ``glue(name, fig, display=False)``
still renders the closed figure (IPython's formatter draws it on its canvas) for its ``glue:figure``.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() in ("", "tkagg") else None
import matplotlib.pyplot as plt
import numpy as np

from ..core import paths

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

DPI = 110              # pixels per inch of the PNG the book shows (IPython renders at the figure's dpi)
COLUMN_PX = 784        # the text column in CSS pixels, sphinx-book-theme in a 1400 px window (tests/test_browser.py)
MAX_WIDTH_IN = 10.0    # the widest figure whose default texts stay legible at the column width
MIN_DISPLAY_PT = 9.0   # the smallest text size a reader should see on screen
SMALL_PT = 11.5        # ticks and legends: display_pt(11.5, 10) = 9.4 pt
BASE_PT = 12.0         # labels and other text

RC = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": DPI,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": BASE_PT,
    "axes.labelsize": BASE_PT,
    "axes.titlesize": BASE_PT,
    "xtick.labelsize": SMALL_PT,
    "ytick.labelsize": SMALL_PT,
    "legend.fontsize": SMALL_PT,
    "legend.title_fontsize": SMALL_PT,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "lines.linewidth": 1.8,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def use() -> None:
    """Apply the house style (call once at the top of a notebook)."""
    plt.rcParams.update(RC)


def savefig(fig, name: str) -> Path:
    """Save ``fig`` as PNG under the figure folder, close it, and return the file's path.

    Closing takes the figure out of pyplot's list of open figures, so the inline backend does not show it
    at the end of the cell: the book shows it once, where the chapter's ``glue:figure`` puts it with its
    caption. The closed figure still renders (``glue``, ``fig.savefig``, IPython's display)."""
    path = paths.figure_dir() / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def display_pt(size_pt: float, width_in: float, dpi: float = DPI, column_px: float = COLUMN_PX) -> float:
    """On-screen size, in points (96 CSS px per inch), of a ``size_pt`` text in a figure ``width_in`` wide
    shown in the book: its PNG is ``width_in * dpi`` pixels, shrunk to ``column_px`` when wider."""
    scale = min(1.0, column_px / (width_in * dpi))
    return size_pt * dpi / 72 * scale * 72 / 96


def legibility(fig) -> dict:
    """How ``fig`` reads at the column width: its width (inches, the saved tight box), the smallest font
    among its visible non-empty texts (points), that font's on-screen size (:func:`display_pt`), and
    ``ok`` when the figure is at most ``MAX_WIDTH_IN`` wide and that size at least ``MIN_DISPLAY_PT``."""
    if not hasattr(fig.canvas, "get_renderer"):   # a figure closed by savefig has a bare canvas: draw on Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()                       # tick labels get their texts when drawn
    renderer = fig.canvas.get_renderer()
    width = float(fig.get_tightbbox(renderer).width)   # inches, as saved and as IPython renders it
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_figure() is not None]
    smallest = float(min(sizes)) if sizes else float("nan")
    shown = float(display_pt(smallest, width, fig.dpi))
    return {"width_in": round(width, 2), "smallest_pt": smallest, "display_pt": round(shown, 2),
            "ok": bool(width <= MAX_WIDTH_IN and shown >= MIN_DISPLAY_PT)}


def log_axis(ax, which: str = "y", ticks=None) -> None:
    """Make ``which`` axis of ``ax`` logarithmic with a few plain-number labels (0.01, 0.1, 1 ...; 1, 2, 5 times
    powers of ten when the axis spans two decades or less) or the given ``ticks``, and no minor labels: over
    a short range matplotlib labels every minor tick ("3x10^2 4x10^2 ..."), and those labels overlap.
    Call it after plotting (it reads the axis limits)."""
    from matplotlib import ticker

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if ticks is not None:
        axis.set_major_locator(ticker.FixedLocator(list(ticks)))
    else:
        lo, hi = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
        decades = np.log10(hi / lo) if lo > 0 else np.inf
        if decades < 1.0:      # within one decade: evenly spaced round numbers
            axis.set_major_locator(ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        else:
            axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 2 else (1.0,),
                                                     numticks=7))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_locator(ticker.LogLocator(base=10, subs="auto", numticks=12) if ticks is None
                           else ticker.NullLocator())
    axis.set_minor_formatter(ticker.NullFormatter())


def band(ax, t, mean, spread, color, label=None, ls="--"):
    """A mean curve with a shaded band mean +- spread (e.g. run-to-run std)."""
    ax.plot(t, mean, ls=ls, color=color, label=label)
    ax.fill_between(t, mean - spread, mean + spread, color=color, alpha=0.2, lw=0)


use()
