"""Figures and tables of chapter 09_beyond (presentation only: they take :class:`lib.studies.beyond.Beyond`
results already computed, draw, save under the figure folder and return the figure; tables are Markdown)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .beyond import VERDICTS

COLORS = style.PALETTE[:7] + ["#999999", "#8c564b", "#17becf"]
MARKERS = "osD^v<>ph*"


def _fmt(x: float, se: float | None = None, digits: int = 2) -> str:
    if not np.isfinite(x):
        return "diverged" if x == math.inf else "-"
    return f"{x:.{digits}f}" + (f" ± {se:.{digits}f}" if se is not None and np.isfinite(se) else "")


def scaling(b, g: str):
    """Part 1, one activation: the Gaussian floor (black) and each law's excess over it (absolute: relative
    excess times the floor), log-log against N; an excess not resolved (below 2 s.e.) is drawn as an open
    down-triangle at its 2-s.e. upper bound; lines: the power fits of resolved laws."""
    s = b.scaling(g)
    Ns = np.array(b.scaling_Ns, dtype=float)
    fig, ax = plt.subplots(figsize=(9.5, 5.2))
    ax.errorbar(Ns, s["floor"], yerr=np.array(s["floor"]) * np.array(s["floor_rse"]), color="k", lw=2.5,
                marker="o", label="Gaussian floor", zorder=5)
    ff = s["floor_fit"]
    for i, (label, pts) in enumerate(s["excess"].items()):
        c, mk = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
        shift = Ns * (1 + 0.025 * (i - len(s["excess"]) / 2))
        for n, x, p, fl in zip(shift, Ns, pts, s["floor"]):
            if p.diverged:
                continue
            if p.resolved:
                ax.errorbar([n], [p.value * fl], yerr=[p.se * fl], color=c, marker=mk, ls="none", ms=6)
            else:
                ax.plot([n], [max(2 * p.se, 1e-3) * fl], color=c, marker="v", mfc="none", ls="none", ms=6)
        fit = s["fit"][label]
        if s["verdict"][label] not in ("floor", "diverged") and np.isfinite(fit.beta):
            ax.plot(Ns, fit.at(Ns) * np.array(s["floor"]), color=c, lw=1)
        ax.plot([], [], color=c, marker=mk, ls="-", label=f"{label}: {VERDICTS[s['verdict'][label]]}")
    ax.set(xscale="log", yscale="log", xlabel="$N$ ($D = N/2$)", ylabel="tLog-RMSE excess over the floor")
    ax.set_title(f"$g$ = {g}; floor slope {ff.beta:.2f} ± {ff.se:.2f}", fontsize=11)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    style.savefig(fig, f"beyond_scaling_{g}")
    return fig


def shape_map(b):
    """Part 2: left, the relative excess over the floor on the (skewness, excess kurtosis) plane (colour;
    crossed: above the family-wise margin; grey curve: the edge of admissible laws, exkurt = skew^2 - 2);
    right, the Student t against nu with the margin band."""
    m = b.shape_map()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.4), gridspec_kw={"width_ratios": [1.4, 1]})
    pts = [(law, m["excess"][law.label]) for law in m["laws"] if hasattr(law, "exkurt") and hasattr(law, "skew")]
    sk = np.array([law.skew for law, _ in pts])
    ek = np.array([law.exkurt for law, _ in pts])
    val = np.array([e.value for _, e in pts])
    lim = max(0.3, float(np.nanmax(np.abs(val[np.isfinite(val)]))) if np.isfinite(val).any() else 1.0)
    sc = ax.scatter(sk, ek, c=np.where(np.isfinite(val), val, lim), cmap="coolwarm", vmin=-lim, vmax=lim, s=220,
                    edgecolor="k")
    for (law, e), x, y in zip(pts, sk, ek):
        ax.annotate(_fmt(e.value, digits=2), (x, y), textcoords="offset points", xytext=(0, 13), ha="center",
                    fontsize=9)
        if law.label in m["departs"]:
            ax.plot([x], [y], "kx", ms=14, mew=2)
    s = np.linspace(min(sk.min(), 0) - 0.3, sk.max() + 0.3, 100)
    ax.plot(s, s * s - 2, color="0.6", lw=1.5, label="edge: exkurt = skew$^2$ - 2")
    ax.set(xlabel="skewness", ylabel="excess kurtosis", ylim=(min(-2.2, ek.min() - 0.5), ek.max() + 1.5))
    ax.legend(fontsize=9, loc="lower right")
    fig.colorbar(sc, ax=ax, label="excess / floor")
    st = [law for law in m["laws"] if hasattr(law, "nu")]
    if st:
        nu = np.array([law.nu for law in st])
        ex = [m["excess"][law.label] for law in st]
        ax2.errorbar(nu, [e.value for e in ex], yerr=[e.se for e in ex], color=COLORS[0], marker="o", ls="-",
                     label="Student t")
        ax2.fill_between(nu, -np.array([m["margin"][law.label] for law in st]),
                         [m["margin"][law.label] for law in st], color="0.85", label="floor margin")
        ax2.axhline(0, color="k", lw=1)
        ax2.axvline(4, color="0.5", ls=":", lw=1)
        ax2.set(xlabel=r"$\nu$ (fourth moment finite for $\nu > 4$)", ylabel="excess / floor")
        ax2.legend(fontsize=9)
    fig.tight_layout()
    style.savefig(fig, "beyond_shape_map")
    return fig


def folding(b, g: str, N: int):
    """Part 3: SGD (mean over runs; eg measured on test samples) against the ODE with the a-term (solid) and
    without it (dotted): eg, Q_11 and R_11 over time, and the mean of the student fields mu_k of the ODE."""
    r = b.folding(g, N)
    t, sgd = r["t"], r["sgd"]
    fig, axes = plt.subplots(1, 4, figsize=(10, 3.4))
    items = [("eg", lambda x: x, r"$\epsilon_g$"), ("Q", lambda x: x[..., 0, 0], "$Q_{11}$"),
             ("R", lambda x: x[..., 0, 0], "$R_{11}$")]
    sl = slice(1, None)
    for ax, (name, pick, lab) in zip(axes, items):
        ax.plot(t[sl], pick(sgd[name]).mean(0)[sl], color=COLORS[0], lw=2.5, label="SGD")
        ax.plot(t[sl], pick(r["with_a"][name])[0][sl], color="k", lw=1.2, label="ODE with $a$")
        ax.plot(t[sl], pick(r["no_a"][name])[0][sl], color="k", ls=":", lw=1.5, label="ODE without $a$")
        ax.set(xscale="log", xlabel="$t$", ylabel=lab)
    mu = r["with_a"]["mu"][0]
    for k in range(mu.shape[-1]):
        axes[3].plot(t[sl], mu[sl, k], color=COLORS[k + 1], label=f"$\\mu_{k + 1}$")
    axes[3].set(xscale="log", xlabel="$t$", ylabel=r"$\mu_k = a\,\omega_k$ (ODE)")
    axes[0].legend(fontsize=9)
    axes[3].legend(fontsize=9)
    fig.tight_layout()
    style.savefig(fig, f"beyond_folding_{g}_{N}")
    return fig


# ------------------------------------------------------------------------------------------ tables

def scaling_table(b, g: str) -> str:
    s = b.scaling(g)
    head = "| law | " + " | ".join(f"N = {n}" for n in b.scaling_Ns) + " | exponent (95 %) | verdict |"
    lines = [head, "|---" * (len(b.scaling_Ns) + 3) + "|"]
    lines.append("| *floor (tLog-RMSE)* | " + " | ".join(f"{x:.4f}" for x in s["floor"])
                 + f" | {s['floor_fit'].beta:.2f} [{s['floor_fit'].lo:.2f}, {s['floor_fit'].hi:.2f}] | |")
    for label, pts in s["excess"].items():
        f = s["fit"][label]
        ci = f"{f.beta:.2f} [{f.lo:.2f}, {f.hi:.2f}]" if np.isfinite(f.beta) and s["verdict"][label] != "floor" else "-"
        lines.append(f"| {label} | " + " | ".join(_fmt(p.value, p.se) for p in pts)
                     + f" | {ci} | {VERDICTS[s['verdict'][label]]} |")
    return "\n".join(lines)


def map_table(b) -> str:
    m = b.shape_map()
    lines = ["| law | excess / floor | margin | above the margin |", "|---|---|---|---|"]
    for law in m["laws"]:
        e = m["excess"][law.label]
        lines.append(f"| {law.label} | {_fmt(e.value, e.se)} | {m['margin'][law.label]:.2f} | "
                     f"{'yes' if law.label in m['departs'] else 'no'} |")
    return "\n".join(lines)


def fold_table(b) -> str:
    lines = ["| $g$ | $N$ | control ($f$ = " + b.fold_control + ") | with the $a$-term | without it |",
             "|---|---|---|---|---|"]
    for g in b.activations:
        for N in b.fold_Ns:
            r = b.folding(g, N)
            lines.append(f"| {g} | {N} | {r['ratio_ctrl']['all']:.2f} | {r['ratio_with']['all']:.2f} | "
                         f"{r['ratio_no']['all']:.2f} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ glued words

def _join(items) -> str:
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def texts(b) -> dict[str, str]:
    """Every number and phrase the chapter glues, by name."""
    out = {"Ns": _join(str(n) for n in b.scaling_Ns), "runs": str(b.runs), "t_max": f"{b.t_max:g}",
           "map_N": str(b.map_N), "map_g": b.map_activation, "level": f"{b.level:g}", "fold": b.fold,
           "fold_control": b.fold_control, "fold_runs": str(b.fold_runs), "fold_Ns": _join(str(n) for n in b.fold_Ns),
           "std_text": "the exact population mean and variance" if b.standardize_samples is None
           else f"the sample mean and variance of {b.standardize_samples} draws"}
    for g in b.activations:
        s = b.scaling(g)
        ff = s["floor_fit"]
        out[f"floor_beta_{g}"] = f"{ff.beta:.2f} (95 % interval [{ff.lo:.2f}, {ff.hi:.2f}])"
        for key in VERDICTS:
            out[f"verdict_{key}_{g}"] = _join(k for k, v in s["verdict"].items() if v == key)
        label = "mixture, one label"
        if label in s["excess"]:
            pts = s["excess"][label]
            out[f"shared_{g}"] = _join(f"{p.value:.1f}" for p in pts)
            f = s["fit"][label]
            out[f"shared_beta_{g}"] = f"{f.beta:.2f} [{f.lo:.2f}, {f.hi:.2f}]" if np.isfinite(f.beta) else "not fitted"
    m = b.shape_map()
    ex = m["excess"]
    finite = [law.label for law in m["laws"] if np.isfinite(law.moments()["exkurt"])]
    worst = max(finite, key=lambda k: ex[k].value / max(m["margin"][k], 1e-12)) if finite else None
    out["map_t_fw"] = f"{m['t_fw']:.2f}"
    out["map_departs"] = _join(m["departs"])
    out["map_worst"] = f"{worst} ({_fmt(ex[worst].value, ex[worst].se)}, margin {m['margin'][worst]:.2f})" \
        if worst else "none"
    out["map_margin_range"] = f"{min(m['margin'].values()):.2f} to {max(m['margin'].values()):.2f}"
    st = [law for law in m["laws"] if hasattr(law, "nu")]
    out["student"] = _join(f"{_fmt(ex[law.label].value, ex[law.label].se)} at nu = {law.nu:g}" for law in st)
    if b.probes and b.probe_Ns:
        p = b.probe()
        out["probe"] = "; ".join(f"{k}: " + ", ".join(f"{_fmt(e.value, e.se)} (N = {n})"
                                                       for e, n in zip(v, b.probe_Ns)) for k, v in p["excess"].items())
    for g in b.activations:
        for N in b.fold_Ns:
            r, t = b.folding(g, N), b.fold_test(g, N)
            key = f"{g}_{N}"
            out[f"fold_ctrl_{key}"] = f"{r['ratio_ctrl']['all']:.2f}"
            out[f"fold_with_{key}"] = f"{r['ratio_with']['all']:.2f}"
            out[f"fold_no_{key}"] = f"{r['ratio_no']['all']:.2f}"
            out[f"fold_with_rel_{key}"] = f"{t['with']['value']:.2f} [{t['with']['lo']:.2f}, {t['with']['hi']:.2f}]"
            out[f"fold_no_rel_{key}"] = f"{t['no']['value']:.2f} [{t['no']['lo']:.2f}, {t['no']['hi']:.2f}]"
            eg_s = r["sgd"]["eg"][:, -1].mean()
            out[f"fold_eg_{key}"] = (f"{eg_s:.3f} (SGD, test set), {r['with_a']['eg'][0, -1]:.3f} (with) and "
                                     f"{r['no_a']['eg'][0, -1]:.3f} (without)")
    return out
