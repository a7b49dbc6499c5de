"""Figures and tables of Section V.2 (chapter 06_universality): Fig. 7 and its t statistics, the excess
against N, Fig. 8 (the Lorentz breakdown), the appendix settings, and the chapter's Markdown tables.

Presentation only: every function takes results already computed (:mod:`lib.studies.universality`,
:mod:`lib.studies.universality_summary`). A figure function draws one figure, saves it under the figure
folder (:func:`lib.studies.style.savefig`) and returns it; the chapter glues it. A table function returns
Markdown.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..measures.excess import largest_t
from . import style
from .universality import GAPS, run_margin
from .universality import table1 as table1_rows

COLORS = style.PALETTE[:7] + ["#999999"]       # PALETTE[7] is black, kept for the ODE
LABELS = {"eg": r"$\epsilon_g$", "Q": "$Q_{kl}$", "R": "$R_{km}$", "v": "$v_k$"}


def _components(name: str, x) -> list:
    """The plotted components of eg (one), Q (Q_11, Q_12, Q_22), R (every R_km) and v (every v_k)."""
    if name == "eg":
        return [x]
    if name == "Q":
        return [x[..., 0, 0], x[..., 0, 1], x[..., 1, 1]]
    if name == "R":
        return [x[..., k, m] for k in range(x.shape[-2]) for m in range(x.shape[-1])]
    return [x[..., k] for k in range(x.shape[-1])]


def dynamics(outcomes: dict, labels, reference: str):
    """Fig. 7: SGD mean of each law in ``labels`` (dashed) against the ODE (black), top, and the gap between
    them averaged over components, bottom (thick: ``reference``), for eg, Q, R, v. ``outcomes``: label ->
    :class:`lib.studies.universality.Outcome` of one setting. 10 inches wide, one legend below the panels."""
    fig, axes = plt.subplots(2, 4, figsize=(9.6, 6.6), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ode = outcomes[reference].result.ode
    t = ode.t
    for col, name in enumerate(["eg", "Q", "R", "v"]):
        ax, dax = axes[0, col], axes[1, col]
        ode_c = _components(name, getattr(ode, name)[0])
        for y in ode_c:
            ax.plot(t[1:], y[1:], color="k", lw=2.2, zorder=5)
        for i, label in enumerate(labels):
            sgd_c = _components(name, getattr(outcomes[label].result.sgd, name).mean(axis=0))
            for j, y in enumerate(sgd_c):
                ax.plot(t[1:], y[1:], ls="--", lw=1.1, color=COLORS[i % len(COLORS)], label=label if j == 0 else None)
            dev = np.mean([np.abs(y - z) for y, z in zip(sgd_c, ode_c)], axis=0)
            dax.plot(t[1:], dev[1:], color=COLORS[i % len(COLORS)], lw=2.4 if label == reference else 1.1)
        ax.set_title(LABELS[name])
        dax.set_yscale("log")
        dax.set_xscale("log")
        dax.set_xlabel("$t$")
    axes[0, 0].set_ylabel("SGD mean (dashed), ODE")
    axes[1, 0].set_ylabel("|SGD mean - ODE|")
    axes[0, 0].plot([], [], color="k", lw=2.2, label="ODE")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    style.savefig(fig, "universality_dynamics")
    return fig


def t_statistics(tests: dict, labels, t_fw: float, level: float):
    """Excess of each law in ``labels`` over the Gaussian floor (t statistic) per metric of ``tests``
    (metric -> FloorTest), with the one-test critical value (dotted) and the family-wise ``t_fw`` (dashed)."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for i, name in enumerate(GAPS):
        vals = [tests[name].t[label] for label in labels]
        ax.plot(np.arange(len(labels)) + 0.12 * (i - 1.5), vals, "o", color=style.PALETTE[i], label=name)
    ax.axhline(tests["Q"].t_crit, color="k", ls=":", lw=1, label=f"$t_c$ (one test, level {level:g})")
    ax.axhline(t_fw, color="k", ls="--", lw=1, label=r"$t_\mathrm{fw}$ (all tests)")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylabel("excess over the floor, $t$")
    ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    style.savefig(fig, "universality_t")
    return fig


def excess_versus_n(points, fit, laws, n_over_d: float):
    """Ratio to the floor against N: one point per (N, law, seed) of ``points`` [(N, law, ratio)], shifted
    sideways per law, and the geometric mean with its standard error over seeds from ``fit``
    (:class:`lib.measures.excess.SizeTrend`; None: a placeholder); ``n_over_d``: N / D, for the axis label."""
    if fit is None:
        return placeholder("not run under these parameters")
    Ns, geo, geo_se = fit.Ns, fit.geo, fit.geo_se
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, x in enumerate(laws):
        pts = [(n, r) for n, law, r in points if law == x]
        ax.plot([n * 1.04 ** (i - (len(laws) - 1) / 2) for n, _ in pts], [r for _, r in pts], "o",
                color=style.PALETTE[i % len(style.PALETTE)], ms=5, alpha=0.8, label=x)
    ax.errorbar(Ns, [geo[n] for n in Ns], yerr=[[geo[n] * (1 - np.exp(-geo_se[n])) for n in Ns],
                                               [geo[n] * (np.exp(geo_se[n]) - 1) for n in Ns]],
                fmt="s-", color="k", ms=7, capsize=4, lw=1.6, label="geometric mean (± s.e. over seeds)")
    ax.axhline(1, color="k", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(Ns, [str(n) for n in Ns])
    lo, hi = ax.get_ylim()
    ticks = [y for y in (0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20) if lo <= y <= hi]
    ax.set_yticks(ticks, [f"{y:g}" for y in ticks])
    ax.minorticks_off()
    ax.set_xlabel(f"$N$ ($D = N/{n_over_d:g}$)")
    ax.set_ylabel("tLog-RMSE / Gaussian floor")
    ax.legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    style.savefig(fig, "excess_versus_N")
    return fig


def lorentz_breakdown(u):
    """Fig. 8 from a :class:`lib.studies.universality_summary.Universality` whose sample-size study ran:
    left, eg of the first law without variance for each n (×: diverged runs); middle, each run's largest
    ratio to the floor against n for every studied law (squares: exact moments); right, the sample
    standard deviation that standardisation divides by."""
    main, study, sizes = u.main, u.study, u.study_sizes
    ref, studies, exact = u.sweeps[main][u.reference], u.studies[main], u.exact[main]
    ode, t = ref.result.ode, ref.result.ode.t
    fig, grid = plt.subplots(2, 2, figsize=(9.6, 7.6))
    axes = [grid[0, 0], grid[0, 1], grid[1, 0]]
    ax = axes[0]
    ax.plot(t[1:], ode.eg[0, 1:], color="k", lw=2.2, label="ODE")
    ax.plot(t[1:], ref.result.sgd.eg.mean(0)[1:], color="gray", ls="--", label="Gaussian, SGD mean")
    for i, (n, o) in enumerate(zip(sizes, studies[u.lorentz[0]] if u.lorentz else [])):
        color = style.PALETTE[(i + 1) % len(style.PALETTE)]
        ax.plot([], [], color=color, lw=1, label=f"$n$ = {n:g}")
        if o.result is not None:
            for eg in o.result.sgd.eg:
                ax.plot(t[1:], eg[1:], color=color, lw=1)
        for td in o.t_diverged[np.isfinite(o.t_diverged)]:
            ax.plot([td], [0], "x", color=color, ms=9, mew=2, transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$t$   (×: a run diverged)")
    ax.set_ylabel(r"$\epsilon_g$, Lorentz input")
    ax.legend(loc="lower left")

    ax, ceiling = axes[1], 1e4
    for i, label in enumerate(study):
        color = style.PALETTE[3 + i]
        for n, o in zip(sizes, studies[label]):
            r = u.run_ratio(o, main)
            ok = np.isfinite(r)
            ax.plot(np.full(ok.sum(), n), r[ok], "o", color=color, mfc="none")
            ax.plot(np.full((~ok).sum(), n), np.full((~ok).sum(), ceiling), "^", color=color, ms=9)
        med = [np.median(u.run_ratio(o, main)) for o in studies[label]]
        ax.plot(sizes, np.minimum(med, ceiling), "-", color=color, label=f"{label} (median)")
        if label in exact:
            r = u.run_ratio(exact[label], main)
            ax.plot(np.full(r.size, sizes[-1] * 10), r, "s", color=color, label=f"{label}, exact moments")
    fq = u.tests[main]["Q"]
    ax.axhspan(0, 1 + run_margin(fq, u.runs) / fq.floor, color="gray", alpha=0.2, label="Gaussian floor + margin (Q)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.3, ceiling * 2)
    ticks = list(sizes) + ([sizes[-1] * 10] if exact else [])
    ax.set_xticks(ticks, [f"$10^{{{math.log10(n):.0f}}}$" for n in sizes] + (["exact"] if exact else []))
    ax.minorticks_off()
    ax.set_xlabel("samples $n$   (▲: diverged)")
    ax.set_ylabel("largest tLog-RMSE / floor")
    grid[1, 1].axis("off")
    grid[1, 1].legend(*ax.get_legend_handles_labels(), loc="center", title="middle panel")

    ax = axes[2]
    for i, label in enumerate(study):
        s = u.scales[label]
        ax.loglog(s["n"], s["median"], "o-", color=style.PALETTE[3 + i], label=f"{label}: median over coordinates")
        ax.fill_between(s["n"], s["q10"], s["q90"], color=style.PALETTE[3 + i], alpha=0.2, lw=0)
        if math.isfinite(s["exact"]):
            ax.axhline(s["exact"], color=style.PALETTE[3 + i], ls=":", label=f"{label}: population sd")
    n_arr = np.array(sizes, dtype=float)
    if u.lorentz:
        s = u.scales[u.lorentz[0]]
        ax.loglog(n_arr, s["median"][0] * np.sqrt(n_arr / n_arr[0]), "k--", lw=1, label=r"$\propto n^{1/2}$")
    ax.set_xlabel("standardisation samples $n$")
    ax.set_ylabel("sample sd (raw law)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    style.savefig(fig, "lorentz_breakdown")
    return fig


def appendix(u):
    """The further settings of a :class:`lib.studies.universality_summary.Universality`, one row each (small
    multiples): left, |SGD - ODE| of eg over time: the Gaussian floor (black), the range over the other laws of
    Table 1 with a variance (band), each further law with a variance (dashed: the heavy-tailed additions) and each
    surviving single run of a law without a variance (dotted); right, each law's t statistic per metric (laws on the vertical axis) against the family-wise
    critical value. A placeholder if no further setting was run."""
    extra = u.combos[1:]
    if not extra:
        return placeholder("no further setting run")
    t = u.sweeps[u.main][u.reference].result.ode.t
    height = 3.9 * len(extra) + 1.2
    fig, axes = plt.subplots(len(extra), 2, figsize=(9.6, height), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1]})
    for row, combo in enumerate(extra):
        ax = axes[row, 0]
        ode_eg = u.sweeps[combo][u.reference].result.ode.eg[0]
        gaps, lorentz = {}, []
        for label, o in u.sweeps[combo].items():
            if o.result is None:
                lorentz.append((label, o, None))
            elif u.moments[label].finite_variance:
                gaps[label] = np.abs(o.result.sgd.eg.mean(0) - ode_eg)
            else:
                lorentz.append((label, o, [np.abs(eg - ode_eg) for eg in o.result.sgd.eg]))
        table = [x for x in u.finite_of[combo] if x != u.reference and x in gaps]
        if table:
            others = np.array([gaps[x] for x in table])
            ax.fill_between(t[1:], others.min(0)[1:], others.max(0)[1:], color=style.PALETTE[0], alpha=0.25, lw=0,
                            label="other laws of Table 1 with a variance: range")
        for i, x in enumerate(x for x in gaps if x != u.reference and x not in table):   # heavy-tailed additions
            ax.plot(t[1:], gaps[x][1:], color=style.PALETTE[1 + i % 3], ls="--", lw=1.3, label=x)
        ax.plot(t[1:], gaps[u.reference][1:], color="k", lw=2.2, label=f"{u.reference} (the floor)")
        for label, o, runs in lorentz:
            if runs is None:
                ax.plot([], [], color=style.PALETTE[3], ls=":", label=f"{label}: single runs (every run diverged)")
                continue
            for k, gap in enumerate(runs):
                ax.plot(t[1:], gap[1:], color=style.PALETTE[3], lw=1.0, ls=":",
                        label=f"{label}: single runs (diverged ones left out)" if k == 0 else None)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel(r"|SGD - ODE|, $\epsilon_g$")
        ax.set_title(f"$g$ = {combo[0]}, $f$ = {combo[1]}", loc="left")
        ax = axes[row, 1]
        labels_c = list(u.finite_of[combo])
        y = np.arange(len(labels_c))[::-1]
        for i, name in enumerate(GAPS):
            vals = [u.tests[combo][name].t[label] for label in labels_c]
            ax.plot(vals, y + 0.15 * (i - 1.5), "o", color=style.PALETTE[i], label=LABELS[name])
        ax.axvline(u.t_fw[combo], color="k", ls="--", lw=1, label=r"$t_\mathrm{fw}$")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, labels_c)
        ax.set_xlabel("excess over the floor, $t$")
    axes[-1, 0].set_xlabel("$t$")
    seen = {}
    for ax in axes[:, 0]:
        for h, name in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(name, h)
    handles, names = list(seen.values()), list(seen)
    handles2, names2 = axes[0, 1].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 1.15 / height, 1, 1))
    fig.legend(handles, names, loc="lower left", bbox_to_anchor=(0.0, 0.0), ncol=1, frameon=False)
    fig.legend(handles2, names2, loc="lower right", bbox_to_anchor=(1.0, 0.0), ncol=3, frameon=False)
    style.savefig(fig, "universality_appendix")
    return fig


def placeholder(text: str):
    """A small empty figure that says ``text`` (for a figure whose study was not run)."""
    fig, ax = plt.subplots(figsize=(4, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center")
    return fig


# --------------------------------------------------------------------------------------------- tables
# Markdown tables of a lib.studies.universality_summary.Universality; "" for a study not run.

def fmt(x, digits: int = 2) -> str:
    """A table entry: 'none' for nan (no such moment), '∞' for a diverging one, else ``digits`` decimals."""
    if isinstance(x, float) and math.isnan(x):
        return "none"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def moments_exist(tail: float) -> str:
    """Which moments a law with tail index ``tail`` has, in words."""
    return "all" if math.isinf(tail) else f"order < {tail:g}"


def table1(u) -> str:
    """Table 1: parameters, exact skewness and excess kurtosis, which moments exist, and the predicted /
    measured skewness and excess kurtosis of a projection u (means over directions)."""
    lines = ["| law | parameters | skewness | excess kurtosis | moments | skew of $u$ pred. / meas. "
             "| exc. kurt. of $u$ pred. / meas. |", "|---|---|---|---|---|---|---|"]
    extra = {law.label for law in u.extra_laws}
    for r in table1_rows(u.all_laws, seed=u.seed):
        p = u.proj[r["label"]]
        mean = {k: fmt(float(np.mean(p[k])), 3) for k in ("skew_pred", "skew", "exkurt_pred", "exkurt")}
        lines.append(f"| {r['label']}{' (ours)' if r['label'] in extra else ''} | {r['parameters']} | "
                     f"{fmt(r['skew'])} | {fmt(r['exkurt'])} | {moments_exist(r['tail'])} | {mean['skew_pred']} / "
                     f"{mean['skew']} | {mean['exkurt_pred']} / {mean['exkurt']} |")
    return "\n".join(lines)


def floor_table(u, combo) -> str:
    """Each law's mean tLog-RMSE ± s.e. per metric in setting ``combo``, with its ratio to the floor and t."""
    ft = u.tests[combo]
    lines = ["| law | " + " | ".join(f"{n} (ratio, $t$)" for n in GAPS) + " |", "|---" * (len(GAPS) + 1) + "|"]
    for label, o in u.sweeps[combo].items():
        cells = [f"{o.diverged} of {o.tlog[n].size} runs diverged" if o.diverged else
                 f"{ft[n].mean[label]:.4f} ± {ft[n].se[label]:.4f} ({ft[n].ratio(label):.2f}, {ft[n].t[label]:.1f})"
                 for n in GAPS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| critical $t_c$ | " + " | ".join(f"{ft[n].t_crit:.2f} (dof {ft[n].dof})" for n in GAPS) + " |")
    lines.append(f"| family-wise $t_\\mathrm{{fw}}$ ({u.n_tests[combo]} tests) | "
                 + " | ".join(f"{u.t_fw[combo]:.2f}" for _ in GAPS) + " |")
    return "\n".join(lines)


def seed_table(u) -> str:
    """Per seed and replicate law: largest ratio to the floor (largest t, its metric); bold past t_fw."""
    if not u.seed_study:
        return ""
    lines = ["| seed | " + " | ".join(f"{x}: largest ratio ($t$, metric)" for x in u.rep_tested) + " |",
             "|---" * (len(u.rep_tested) + 1) + "|"]
    for sd, row in u.seed_study.items():
        cells = [f"{r:.2f} ({t:.1f}, {n}){' **> t_fw**' if t >= u.rep_fw else ''}" for r, (t, n) in row.values()]
        lines.append(f"| {sd}{' (main)' if sd == u.seed else ''} | " + " | ".join(cells) + " |")
    lines.append(f"| family-wise $t_\\mathrm{{fw}}$ | {u.rep_fw:.2f} ({len(GAPS) * len(u.rep_tested)} tests per seed) |"
                 + " |" * (len(u.rep_tested) - 1))
    return "\n".join(lines)


def size_table(u) -> str:
    """Per N: geometric mean ratio (± s.e. over seeds), share of ratios above 1, largest t."""
    fit = u.fit
    if fit is None:
        return ""
    lines = ["| $N$ | $D$ | geometric mean ratio (± s.e. over seeds) | share of ratios > 1 "
             "| largest $t$ (law, metric, seed) |", "|---|---|---|---|---|"]
    for n in fit.Ns:
        rs = np.array([r for m, _, r in u.size_points if m == n])
        t_w, x_w, name_w, sd_w = max((*largest_t(fts, u.rep_tested), sd) for (m, sd), fts in u.size_study.items()
                                     if m == n)
        lines.append(f"| {n} | {round(n * u.D / u.N)} | {fit.geo[n]:.2f} ± {fit.geo[n] * fit.geo_se[n]:.2f} "
                     f"| {np.mean(rs > 1):.0%} | {t_w:.1f} ({x_w}, {name_w}, seed {sd_w}) |")
    return "\n".join(lines)


def exact_table(u) -> str:
    """Per seed: geometric mean ratio with sample and with exact moments, largest t with exact moments."""
    if not u.exact_study:
        return ""
    lines = ["| seed | geometric mean ratio, sample moments | exact moments "
             "| largest $t$ with exact moments (law, metric) |", "|---|---|---|---|"]
    for sd, (l_s, l_x, (t_x, x_x, n_x)) in u.exact_study.items():
        lines.append(f"| {sd} | {np.exp(l_s):.2f} | {np.exp(l_x):.2f} | {t_x:.1f} ({x_x}, {n_x}) |")
    return "\n".join(lines)


def settings_table(u) -> str:
    """Every law in every setting: largest t over the metrics (largest ratio), or for a law without a
    variance the diverged runs and the smallest ratio of the others; a dash where a law was not run."""
    lines = ["| law | " + " | ".join(f"g = {g}, f = {f}" for g, f in u.combos) + " |",
             "|---" * (len(u.combos) + 1) + "|"]
    for label in u.by_label:
        cells = []
        for combo in u.combos:
            o, f = u.sweeps[combo].get(label), u.tests[combo]
            if o is None:
                cells.append("–")
            elif o.diverged:
                r = u.run_ratio(o, combo)
                rest = r[np.isfinite(r)]
                cells.append(f"{o.diverged}/{r.size} diverged" + (f", the others ≥ {np.min(rest):.0f}× floor"
                                                                   if rest.size else " (all runs)"))
            elif not u.moments[label].finite_variance:
                cells.append(f"no divergence, ≥ {np.min(u.run_ratio(o, combo)):.0f}× floor")
            else:
                cells.append(f"{max(f[n].t[label] for n in GAPS):.1f} ({max(f[n].ratio(label) for n in GAPS):.2f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| $t_\\mathrm{fw}$ | " + " | ".join(f"{u.t_fw[c]:.2f}" for c in u.combos) + " |")
    return "\n".join(lines)
