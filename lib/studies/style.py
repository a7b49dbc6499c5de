"""One plotting style for the whole book.

Colour-blind-safe palette (Okabe & Ito), readable font sizes, and fixed conventions:
ODE curves solid, SGD means dashed with a shaded run-to-run band. Figures carry no titles:
captions come from the book.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() in ("", "tkagg") else None
import matplotlib.pyplot as plt
import numpy as np

from ..core import paths

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.labelsize": 11,
    "axes.titlesize": 11,
    "legend.fontsize": 9,
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
    """Save ``fig`` as PNG under the figure folder and return its path."""
    path = paths.figure_dir() / f"{name}.png"
    fig.savefig(path)
    return path


def band(ax, t, mean, spread, color, label=None, ls="--"):
    """A mean curve with a shaded band mean +- spread (e.g. run-to-run std)."""
    ax.plot(t, mean, ls=ls, color=color, label=label)
    ax.fill_between(t, mean - spread, mean + spread, color=color, alpha=0.2, lw=0)


use()
