"""The landing page's figure: where Gaussian universality holds and where it stops, in one picture.

From the Section IV chapter's sweeps of one activation (:func:`lib.studies.mixture_dynamics.chapter_sweeps`):
the gap between SGD and the Gaussian-theory ODE, in units of its Gaussian floor, against the exact divergence
of the latent law from the Gaussian, for the three settings the book contrasts: raw (unstandardised)
per-coordinate mixtures, standardised per-coordinate mixtures, and the standardised mixture read literally
from the paper's eq. 17 (one component label per sample).
"""
from __future__ import annotations

import numpy as np

from ..measures.compare import METRICS
from .mixture_dynamics import SweepResult
from .mixture_dynamics_numbers import SMALL_EXCESS
from . import style

SETTINGS = (  # (sweep key, label, colour index, marker)
    (False, "raw, per coordinate", 1, "o"),
    (True, "standardised, per coordinate", 0, "s"),
    ("shared", "standardised, one label per sample (eq. 17)", 3, "^"),
)


def points(sweeps: dict, name: str) -> dict:
    """Per setting present in ``sweeps``: (KL, M / floor) of every (m, alpha > 0) cell, averaged over mixtures and
    runs, the floor being the alpha = 0 cell of the same setting's reference (raw: its own; standardised and
    one-label: the standardised sweep's). The raw setting includes the small-spread sweep ("small") when run."""
    out = {}
    for key, label, *_ in SETTINGS:
        res: SweepResult | None = sweeps.get(key)
        if res is None:
            continue
        ref = sweeps[True] if key == "shared" else res
        floor = ref.mean(name)[0, ref.alphas.index(0.0)]
        parts = [res] + ([sweeps["small"]] if key is False and "small" in sweeps else [])   # raw: small spreads too
        cells = [(r, i, j) for r in parts for i in range(len(r.ms)) for j, a in enumerate(r.alphas) if a > 0]
        kl = np.array([r.kl_mean()[i, j] for r, i, j in cells])
        ratio = np.array([r.mean(name)[i, j] / floor for r, i, j in cells])
        out[label] = (kl, ratio)
    return out


def figure(sweeps: dict):
    """Three panels (Q, R, v): M / floor against the exact KL divergence (log-log), one marker series per setting
    of the sweeps of one activation, the Gaussian level (1) and its band up to 1 + ``SMALL_EXCESS`` shaded."""
    style.use()
    fig, axes = style.plt.subplots(1, 3, figsize=(9.6, 3.6), sharey=True, layout="constrained")
    for ax, name in zip(axes, METRICS):
        ax.axhspan(0.8, 1 + SMALL_EXCESS, color="0.85", zorder=0, label=f"Gaussian level (up to {1 + SMALL_EXCESS:g} x floor)")
        ax.axhline(1.0, color="0.4", lw=1, zorder=1)
        for (key, label, colour, marker) in SETTINGS:
            pts = points(sweeps, name).get(label)
            if pts is None:
                continue
            kl, ratio = pts
            keep = kl > 0
            ax.scatter(kl[keep], ratio[keep], s=28, marker=marker, color=style.PALETTE[colour], label=label,
                       zorder=3, edgecolors="none", alpha=0.85)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("exact KL divergence (nats)")
        ax.set_title(f"gap in ${name}$", fontsize=style.BASE_PT)
    axes[0].set_ylabel("gap / Gaussian floor")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=style.SMALL_PT)
    return fig


def numbers(sweeps: dict) -> dict[str, str]:
    """Texts for the landing page: per setting, the largest M / floor over the three metrics and all cells."""
    out = {}
    for key, label, *_ in SETTINGS:
        if key in sweeps:
            ratios = [points(sweeps, n)[label][1].max() for n in METRICS]
            out[{False: "raw", True: "std", "shared": "shared"}[key]] = f"{max(ratios):.1f}"
    return out
