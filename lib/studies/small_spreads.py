"""Small spreads: is the ODE-SGD gap of raw Gaussian mixtures small when alpha is small enough?

The later version of the paper says so; the Section IV grid (alpha = 0, 1, ..., 9) cannot test it. The chapter
notebooks/04b_small_spreads.py runs the raw (unstandardised) per-coordinate mixtures of Section IV
(:mod:`lib.studies.mixture_dynamics`, same setup, seeds and metric) at alpha in (0, 1), with alpha = 0 (the
Gaussian floor) and alpha = 1 (the grid's smallest spread) in the same sweep. The gap of a cell relative to the
floor is M / floor; its standard error comes from the run-to-run scatter of the floor cell (the null hypothesis:
the cell is at the Gaussian level). "At the Gaussian level" is decided two-sided by
:func:`lib.studies.mixture_dynamics_numbers.near_floor` on the mean over the drawn (m, mixture) pairs
(:func:`mixture_excess`), with t quantiles for the pairs' degrees of freedom.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import validate
from ..measures.compare import METRICS
from ..measures.verdicts import Check
from .mixture_dynamics import Setup, SweepResult, sweep
from .mixture_dynamics_numbers import (NEAR_FLOOR_RULE, SMALL_EXCESS, Z_EQUIVALENT, Z_SIGNIFICANT, near_floor,
                                       relative_excess, z_for)

REFERENCE_ALPHA = 1.0      # the Section IV grid's smallest spread, run beside the small ones for comparison


@dataclass(frozen=True)
class SmallSpreads:
    """The parameters cell of notebooks/04b_small_spreads.py, checked."""

    activations: list
    f: str
    ms: list
    small_alphas: list
    n_mixtures: int
    runs: int
    N: int
    D: int
    K: int
    M: int
    lr: float
    t_max: float
    seed: int

    def __post_init__(self):
        if not self.activations:
            raise validate.ParameterError("activations must name at least one activation (relu, erf)")
        for g in self.activations:
            validate.choice("activations", g, ("relu", "erf"))
        if not self.small_alphas or any(not 0 < validate.real("small_alphas", a) < 1 for a in self.small_alphas):
            raise validate.ParameterError(f"small_alphas={self.small_alphas!r} must be spreads in (0, 1)")
        if not self.ms:
            raise validate.ParameterError("ms must hold at least one number of components")
        if validate.integer("n_mixtures", self.n_mixtures, 1) * validate.integer("runs", self.runs, 1) < 2:
            raise validate.ParameterError("n_mixtures x runs must be at least 2: the floor's scatter needs two values")

    @classmethod
    def of(cls, namespace: dict) -> SmallSpreads:
        return cls(**{name: namespace[name] for name in cls.__dataclass_fields__})

    @property
    def alphas(self) -> list:
        """The sweep's spreads: 0 (the floor), the small ones, and :data:`REFERENCE_ALPHA`."""
        return [0.0, *sorted(float(a) for a in self.small_alphas), REFERENCE_ALPHA]

    def setup(self, g: str) -> Setup:
        return Setup(g=g, f=self.f, N=self.N, D=self.D, K=self.K, M=self.M, lr=self.lr, runs=self.runs,
                     t_max=self.t_max, seed=self.seed)

    def sweeps(self) -> dict[str, SweepResult]:
        """{activation: the raw sweep over :attr:`alphas`} (cached, as Section IV's ``sweep``)."""
        return {g: sweep(self.setup(g), self.ms, self.alphas, self.n_mixtures, False) for g in self.activations}


def chapter_results(params: dict) -> None:
    """The chapter's expensive part from its parameter dict (``lib paper --results-only``)."""
    SmallSpreads.of(params).sweeps()


def excess(sw: SweepResult, name: str) -> tuple[np.ndarray, float, int]:
    """(M / floor - 1 per (m, alpha) cell, its standard error over the floor, the floor scatter's degrees of
    freedom), the scatter being the run-to-run standard deviation of the alpha = 0 cell."""
    floor_values = sw.gap(name)[0, 0]
    sd = float(floor_values.std(ddof=1))
    e, se = relative_excess(sw, sw, name, sd)
    return e, se, floor_values.size - 1


def mixture_excess(sw: SweepResult, name: str, j: int = 1) -> tuple[float, float, int, int]:
    """The excess over the floor at the ``j``-th alpha with each (m, mixture) pair as one sample, since the
    statement is about mixtures drawn at random: (mean of M / floor - 1 over the pairs, its standard error from
    the scatter between pairs and the floor's own, degrees of freedom (the smaller of pairs - 1 and floor runs -
    1), runs behind the floor). With one or two mixtures per cell the runs' scatter alone understated it: over
    20 quick seeds the ReLU verdict flipped between not reproduced and not tested."""
    floor_values = sw.gap(name)[0, 0]
    fl, n0 = float(floor_values.mean()), floor_values.size
    ratio = sw.per_mixture(name)[:, j].ravel() / fl
    n = ratio.size
    var = (ratio.var(ddof=1) / n if n > 1 else np.inf) + ratio.mean() ** 2 * floor_values.var(ddof=1) / (n0 * fl ** 2)
    return float(ratio.mean() - 1), float(np.sqrt(var)), min(n, n0) - 1, n0


def check(sw: SweepResult, g: str) -> Check:
    """The later version's statement at the smallest spread, every metric, pooled over the drawn (m, mixture)
    pairs: reproduced when the gap is at the Gaussian level, not reproduced when it is above it, not tested when
    the run cannot tell."""
    alpha = sw.alphas[1]
    decided, largest, resolution = [], -np.inf, 0.0
    pairs = sw.per_mixture(METRICS[0])[:, 1].size
    for name in METRICS:
        e, se, dof, n0 = mixture_excess(sw, name)
        q_fail, q_pass = z_for(dof), z_for(dof, Z_EQUIVALENT)
        decided.append(near_floor(e, se, n0, z_fail=q_fail, z_pass=q_pass))
        largest, resolution = max(largest, e), max(resolution, se)
    verdict = False if False in decided else (None if None in decided else True)
    return Check(f"IV.unstd-small-alpha.{g}", verdict is True, paper_claim="2c", tested=verdict is not None,
                 measured=[alpha, 1 + largest, resolution, pairs],
                 tolerance=f"at alpha = {alpha:g}, Q, R and v, the mean over the (m, mixture) pairs: "
                           + NEAR_FLOOR_RULE.replace(f"{Z_SIGNIFICANT:g} s.e.", f"{q_fail:.1f} s.e.")
                                            .replace(f"{Z_EQUIVALENT:g} s.e.", f"{q_pass:.1f} s.e.")
                           + " (t quantiles of the same tails for the pairs' degrees of freedom; measured: [alpha, "
                             "largest mean M / floor, largest s.e. / floor, pairs])",
                 statement=f"Unstandardised ({g}): for a small enough alpha the gap stays at the Gaussian level.")


def table_markdown(sw: SweepResult) -> str:
    """M / floor per metric (rows) and spread (columns), averaged over m, with the largest excess in standard errors
    over m in brackets."""
    cols = [j for j, a in enumerate(sw.alphas) if a > 0]
    lines = ["| metric | " + " | ".join(f"α = {sw.alphas[j]:g}" for j in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name in METRICS:
        e, se, _ = excess(sw, name)
        lines.append(f"| {name} | " + " | ".join(f"{1 + e[:, j].mean():.2f} ({e[:, j].max() / se:.0f} s.e.)"
                                               for j in cols) + " |")
    return "\n".join(lines)


def numbers(sweeps: dict[str, SweepResult]) -> dict[str, str]:
    """Glue texts: the spreads, and per activation the largest M / floor over metrics and m at the smallest spread
    (``small_max``) and at alpha = 1 (``ref_max``)."""
    g0 = next(iter(sweeps))
    out = {"alpha_small": f"{sweeps[g0].alphas[1]:g}", "alpha_ref": f"{REFERENCE_ALPHA:g}",
           "small_list": ", ".join(f"{a:g}" for a in sweeps[g0].alphas[1:-1]), "excess_limit": f"{1 + SMALL_EXCESS:g}"}
    small, ref = [], []
    for g, sw in sweeps.items():
        at = {j: max(1 + float(excess(sw, n)[0][:, j].max()) for n in METRICS) for j in (1, len(sw.alphas) - 1)}
        small.append(f"{at[1]:.2f} times the floor with {g}")
        ref.append(f"{at[len(sw.alphas) - 1]:.1f} times with {g}")
    out["small_max"], out["ref_max"] = "; ".join(small), "; ".join(ref)
    return out


def figure(sweeps: dict[str, SweepResult], name: str = "small_spreads"):
    """M / floor against alpha (log), one panel per metric, one line per activation and m, the Gaussian level
    shaded up to 1 + ``SMALL_EXCESS``; saved as ``name`` (:func:`lib.studies.style.savefig`) and returned."""
    from . import style          # matplotlib only where a figure is drawn: the results-only path has none

    style.use()
    fig, axes = style.plt.subplots(1, 3, figsize=(9.6, 3.4), sharey=True, layout="constrained")
    for ax, metric in zip(axes, METRICS):
        ax.axhspan(0.8, 1 + SMALL_EXCESS, color="0.85", zorder=0)
        ax.axhline(1.0, color="0.4", lw=1)
        for k, (g, sw) in enumerate(sweeps.items()):
            e = excess(sw, metric)[0]
            for i, m in enumerate(sw.ms):
                ax.plot(sw.alphas[1:], 1 + e[i, 1:], marker="o", ms=4, color=style.PALETTE[k],
                        ls=["-", "--", ":", "-."][i % 4], label=f"{g}, m = {m}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"spread $\alpha$")
        ax.set_title(f"gap in ${metric}$", fontsize=style.BASE_PT)
    axes[0].set_ylabel("gap / Gaussian floor")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=style.SMALL_PT)
    style.savefig(fig, name)
    return fig
