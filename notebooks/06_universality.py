# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Universality across input laws, and where it ends
#
# Section V.2 of the later version of the paper leaves Gaussian mixtures behind: if standardising the
# latent vector $C$ is what makes SGD follow the Gaussian-theory ODE, then *any* law with a mean and a
# variance should do, once each coordinate is shifted and rescaled to mean 0 and variance 1. The paper
# tests this on a list of laws (its Table 1, whose parameter values were lost in extraction; ours are
# below) and then shows a law for which it must fail, the Lorentz (Cauchy) law, which has neither mean
# nor variance, so that "standardising" it with sample moments is a procedure without a limit.
#
# This chapter regenerates Table 1 with the skewness and excess kurtosis of each law, compares SGD with the
# ODE for every standardised law (the paper's Fig. 7) against the floor that finite-size fluctuations set
# for Gaussian inputs, and studies the Lorentz input as the number of samples used to standardise it grows
# (Fig. 8). We add a heavy-tailed Pareto law, whose variance is finite while its third and fourth moments
# are not: it sits between the two cases and turns out to be the most instructive one.

# %% tags=["parameters"]
N = 1000                 # student input dimension (the paper: 1000)
D = 500                  # latent dimension (the paper: 500)
K = 2
M = 2
lr = 0.2
activations = ["relu", "erf"]   # g of teacher and student; the first is the main text, erf the appendix
folds = ["sgn", "tanh"]  # folding functions f; the first is the main text, tanh our second one
cross = False            # also run each further activation with each further fold (paper: True)
laws = [["Gaussian", "gaussian", {}],
        ["uniform", "uniform", {"low": 0.0, "high": 1.0}],
        ["beta (arcsine)", "beta", {"a": 0.5, "b": 0.5}],
        ["beta (skewed)", "beta", {"a": 2.0, "b": 5.0}],
        ["Poisson", "poisson", {"rate": 1.0}],
        ["Laplace", "laplace", {"scale": 1.0}],
        ["Pareto", "pareto", {"shape": 5.0}],
        ["Gaussian mixture", "gmm", {"alpha": 9.0, "m": 2, "variant": "coordinate"}],
        ["Lorentz", "lorentz", {"scale": 1.0}]]
heavy_laws = [["Pareto, shape 2.5", "pareto", {"shape": 2.5}]]   # finite variance only (our addition)
reference = "Gaussian"   # the law that sets the floor
appendix_laws = ["Gaussian", "uniform", "beta (arcsine)", "beta (skewed)", "Poisson", "Laplace", "Pareto",
                 "Gaussian mixture", "Lorentz"]   # laws run in the further settings (paper: also Pareto 2.5)
appendix_study = False   # repeat the sample-size study in the further settings (paper: True)
study = ["Lorentz", "Pareto, shape 2.5"]   # laws whose standardisation sample size is varied
study_sizes = [100, 1000, 10000, 100000]   # samples behind the sample mean and variance
runs = 3                 # SGD runs per law (the paper: 10)
t_max = 20.0             # the paper: 100
points = 40              # recorded log-spaced times
level = 0.001            # one-sided level of the floor test
far = 10.0               # the Lorentz gap must exceed this many single-run margins
cumulant_samples = 10000   # draws of C for the projection cumulants
seed = 0
replicate_seeds = [1, 2]  # further seeds (initial weights and samples) for one setting: how robust is the test?
replicate_setting = ["relu", "tanh"]   # (g, f) of that study; must be one of the settings above
replicate_laws = ["Gaussian", "uniform", "Poisson", "Laplace", "Pareto"]   # its laws (the reference included)
replicate_N = [250, 500, 1000]   # the same study at these N, with D in proportion (paper: 500, 1000, 2000)
results_from = "auto"    # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("06_universality", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lib.measures import excess
from lib.studies import style
from lib.studies import universality as s5
from lib.studies.mixture_dynamics import ode_movement
from lib.core.model import Model
from lib.core.validate import ParameterError, choice

style.use()
table_laws = s5.make_laws(laws)
extra_laws = s5.make_laws(heavy_laws)
all_laws = table_laws + extra_laws
by_label = {law.label: law for law in all_laws}
if len(by_label) != len(all_laws):
    raise ParameterError("labels of laws and heavy_laws must be distinct")
choice("reference", reference, [law.label for law in table_laws])
for label in study:
    choice("study", label, list(by_label))
moments = {law.label: s5.law_moments(law.dist, seed=seed, **law.kwargs) for law in all_laws}
combos = s5.settings(activations, folds, cross)   # (g, f) pairs, the main text's first
main = combos[0]
for label in appendix_laws:
    choice("appendix_laws", label, list(by_label))
if reference not in appendix_laws:
    raise ParameterError(f"appendix_laws={appendix_laws!r} must include the reference {reference!r}")
laws_of = {combo: all_laws if combo == main else [law for law in all_laws if law.label in appendix_laws]
           for combo in combos}
models = {(g, f): Model(N=N, D=D, K=K, M=M, lr=lr, f=f, g=g) for g, f in combos}
rep_combo = tuple(replicate_setting)
if replicate_seeds and rep_combo not in models:
    raise ParameterError(f"replicate_setting={replicate_setting!r} must be one of the settings {combos}")
for label in replicate_laws:
    choice("replicate_laws", label, [x for x in appendix_laws if moments[x].finite_variance])
if replicate_seeds and reference not in replicate_laws:
    raise ParameterError(f"replicate_laws={replicate_laws!r} must include the reference {reference!r}")
for n in replicate_N:
    if not isinstance(n, int) or n < 2 or round(n * D / N) < 1:
        raise ParameterError(f"replicate_N={replicate_N!r}: every entry must be an integer N >= 2 with D = N D/N >= 1")

# %% [markdown]
# ## Table 1: the laws
#
# Every law is used through its standardised version, so only its shape matters. Skewness and excess
# kurtosis are exact (closed forms; for the mixture, from the raw moments of its components). The last two
# columns anticipate the argument below: they give the skewness and excess kurtosis of a projection
# $u = C\cdot w/|w|$ of the standardised $D$-dimensional vector, $w\sim\mathcal N(0, I_D)$, the kind of
# variable that enters the network ($U = CF/\sqrt D$ and the teacher's $\nu = \tilde W C/\sqrt D$ are such
# projections). For a sum of independent standardised terms the cumulants add:
# $\kappa_3(u) = \kappa_3 \sum_j w_j^3/|w|^3$ and $\kappa_4(u) = \kappa_4\sum_j w_j^4/|w|^4$. The first
# has a random sign and a size of order $\sqrt{15}\,\kappa_3/D$ (its root mean square over Gaussian
# directions; the terms $w_j^3$ of both signs cancel, and only for weights of one sign would it be of order
# $D^{-1/2}$); the second is close to $3\kappa_4/D$. "Predicted" is that formula averaged over the
# directions, "measured" the sample value from draws of $C$ (sample-standardised, as in the paper).

# %%
rows = s5.table1(all_laws, seed=seed)
proj = {law.label: s5.projected_cumulants(law, D, samples=cumulant_samples, seed=seed) for law in all_laws}


def fmt(x, digits=2):
    if isinstance(x, float) and math.isnan(x):
        return "none"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return f"{x:.{digits}f}"


def moments_exist(tail):
    return "all" if math.isinf(tail) else f"order < {tail:g}"


lines = [f"| law | parameters | skewness | excess kurtosis | moments | skew of $u$ pred. / meas. "
         f"| exc. kurt. of $u$ pred. / meas. |", "|---|---|---|---|---|---|---|"]
for r in rows:
    p = proj[r["label"]]
    extra = " (ours)" if r["label"] in {law.label for law in extra_laws} else ""
    lines.append(f"| {r['label']}{extra} | {r['parameters']} | {fmt(r['skew'])} | {fmt(r['exkurt'])} | "
                 f"{moments_exist(r['tail'])} | {fmt(float(np.mean(p['skew_pred'])), 3)} / "
                 f"{fmt(float(np.mean(p['skew'])), 3)} | {fmt(float(np.mean(p['exkurt_pred'])), 3)} / "
                 f"{fmt(float(np.mean(p['exkurt'])), 3)} |")
display(Markdown("\n".join(lines)))
se_u = proj[reference]["se_exkurt"] / math.sqrt(len(proj[reference]["exkurt"]))
glue("D", f"{D}", display=False)
glue("se_kurt_u", f"{se_u:.3f}", display=False)
lorentz_labels = [law.label for law in all_laws if not moments[law.label].finite_variance]
glue("lorentz_kurt_u", f"{np.mean(proj[lorentz_labels[0]]['exkurt']):.0f}" if lorentz_labels else "n/a",
     display=False)

# %% [markdown]
# For every law with a fourth moment the measured kurtosis of the projection is small, within its sampling
# error ({glue:text}`se_kurt_u` for the direction average of a Gaussian) of the prediction, which is
# already of order $1/D$ at $D=${glue:text}`D`. (For the Pareto law with shape 5 the estimate itself is
# noisy: the sampling error of a kurtosis involves the eighth moment, which this law lacks.) For the Lorentz law the sample kurtosis of the projection is {glue:text}`lorentz_kurt_u`: a sum of
# Cauchy variables is again Cauchy, and no amount of averaging makes it Gaussian.
#
# ## What the theory says, and where it stops
#
# The ODE is derived from the Gaussian equivalence property: in the high-dimensional limit the
# preactivations $(\lambda,\nu)$ are jointly Gaussian with covariances $Q$, $R$, $T$ built from the weights
# and the constants $a, b, c$ of the folding function. The paper's modified equivalence property (its
# Property V.4) replaces "jointly Gaussian" by "has the same first two cumulants as the Gaussian": for a
# standardised input law the preactivations may not be Gaussian, but their means and covariances are the
# Gaussian ones, and the expectations the ODE needs (of sgn, ReLU, erf and products of them) are, to the
# order that matters, fixed by those two cumulants. The paper's route to it is Lemma V.3, applied to one
# standardised coordinate.
#
# The lemma chapter found that route too short: for a skewed law, $\mathbb E[\operatorname{sgn} x]$ of a
# single standardised coordinate differs from its Gaussian value, because mean and variance do not fix
# the median. What makes the property true in this model is that nothing in it acts on a single coordinate.
# The folding function acts on $U = CF/\sqrt D$, the teacher on $\tilde W C/\sqrt D$: sums of $D$
# independent standardised terms with $O(1)$ weights. By the central limit theorem their higher cumulants
# vanish (the table above measures it), so in the limit they *are* Gaussian, with the covariance fixed by
# the first two cumulants of $C$. Standardisation matters because the mean and variance of $C$ enter those
# covariances (an unstandardised law gives another $Q$, $R$, $T$ and another $a, b, c$); the remaining
# shape of the law does not, once $D$ is large.
#
# This argument needs a variance, and it is asymptotic. Two things can go wrong:
#
# * **No variance (Lorentz).** A sum of Cauchy variables is Cauchy: $U$ and $\nu$ never become Gaussian, and
#   the teacher's label has no variance, so the order parameter $T$ the ODE is built on does not exist.
#   Standardising with sample moments estimates a variance that grows with the sample size $n$ (the sum of
#   squares of $n$ Cauchy draws grows like $n^2$), so the standardised input shrinks like $n^{-1/2}$ while
#   its rare huge values remain. There is no $n$ at which the procedure settles.
# * **A variance but no fourth moment (heavy Pareto).** The limit is Gaussian, but it is approached slowly.
#   The labels' squares have infinite variance, so the running averages that drive the weights over the
#   $N t$ samples of a run converge like $(Nt)^{-(1-2/\alpha)}$ for tail index $\alpha$ (here
#   $(Nt)^{-0.2}$) rather than $(Nt)^{-1/2}$, and a typical run sees fewer large labels than the variance
#   accounts for.

# %% [markdown]
# ## Fig. 7: SGD against the ODE for every standardised law
#
# Every law is run from the same initial weights (student, teacher, feature matrix $F$), with the same run
# seeds; the ODE starts from those weights and does not depend on the law. The Gaussian input sets the
# floor: its per-run tLog-RMSE (the root mean square gap over log-spaced times, averaged over components) is
# what finite $N$ alone produces.

# %%
sweeps = {combo: s5.sweep(models[combo], laws_of[combo], runs=runs, t_max=t_max, points=points, seed=seed)
          for combo in combos}
finite_table = [law.label for law in table_laws if moments[law.label].finite_variance]
finite_of = {combo: [label for label in finite_table if label in sweeps[combo]] for combo in combos}
pools = {combo: [label for label in sweeps[combo] if moments[label].finite_kurtosis and label != reference]
         for combo in combos}
tests = {combo: {name: s5.floor_test(sweeps[combo], reference, pools[combo], name, level=level) for name in s5.GAPS}
         for combo in combos}
# The claim is about every law and metric of a setting at once, so its critical value holds the
# family-wise level: Bonferroni over the law-metric tests (lib.measures.excess.family_t).
def t_family(n_tests, dof):
    return excess.family_t(level, max(n_tests, 1), dof)


n_tests = {combo: len(s5.GAPS) * len([x for x in finite_of[combo] if x != reference]) for combo in combos}
t_fw = {combo: t_family(n_tests[combo], tests[combo]["Q"].dof) for combo in combos}
out, ft = sweeps[main], tests[main]
plotted = [label for label in finite_table]

colors = style.PALETTE[:7] + ["#999999"]       # PALETTE[7] is black, kept for the ODE
fig, axes = plt.subplots(2, 4, figsize=(15, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
ode = out[reference].result.ode
t = ode.t
comps = {"eg": lambda x: [x], "Q": lambda x: [x[..., 0, 0], x[..., 0, 1], x[..., 1, 1]],
         "R": lambda x: [x[..., k, m] for k in range(K) for m in range(M)], "v": lambda x: [x[..., k] for k in range(K)]}
labels = {"eg": r"$\epsilon_g$", "Q": "$Q_{kl}$", "R": "$R_{km}$", "v": "$v_k$"}
for col, name in enumerate(["eg", "Q", "R", "v"]):
    ax, dax = axes[0, col], axes[1, col]
    ode_c = comps[name](getattr(ode, name)[0])
    for y in ode_c:
        ax.plot(t[1:], y[1:], color="k", lw=2.2, zorder=5)
    for i, label in enumerate(plotted):
        sgd_c = comps[name](getattr(out[label].result.sgd, name).mean(axis=0))
        for j, y in enumerate(sgd_c):
            ax.plot(t[1:], y[1:], ls="--", lw=1.1, color=colors[i % len(colors)], label=label if j == 0 else None)
        dev = np.mean([np.abs(y - z) for y, z in zip(sgd_c, ode_c)], axis=0)
        dax.plot(t[1:], dev[1:], color=colors[i % len(colors)], lw=2.4 if label == reference else 1.1)
    ax.set_ylabel(labels[name])
    dax.set_ylabel(f"|SGD mean - ODE|, {labels[name]}")
    dax.set_yscale("log")
    dax.set_xscale("log")
    dax.set_xlabel("$t$")
axes[0, 0].plot([], [], color="k", lw=2.2, label="ODE")
axes[0, 0].legend(fontsize=8, ncol=1)
fig.tight_layout()
style.savefig(fig, "universality_dynamics")
glue("fig7", fig, display=False)
glue("g_main", main[0], display=False)
glue("f_main", main[1], display=False)
glue("runs", f"{runs}", display=False)
glue("t_max", f"{t_max:g}", display=False)

# %% [markdown]
# ```{glue:figure} fig7
# :name: fig-universality-dynamics
#
# SGD against the ODE for every standardised law of Table 1 with a finite variance (activation
# {glue:text}`g_main`, folding function {glue:text}`f_main`, $N=1000$-scale model of the parameters cell).
# Top, black: the ODE (one curve per component); dashed: the SGD mean over {glue:text}`runs` runs for each
# law, all from the same initial weights. Bottom: the gap between the SGD mean and the ODE, averaged over
# components (thick: the Gaussian input, i.e. the floor). From left to right: generalisation error, $Q$,
# $R$, $v$.
# ```
#
# The table gives each law's mean tLog-RMSE over runs (± its standard error) for each order parameter,
# its ratio to the Gaussian floor and the comparison-with-control $t$ statistic: the excess over the floor
# in units of the run-to-run scatter, which is pooled over the reference and every law with a fourth
# moment (so the scatter has many degrees of freedom even with few runs per law). Under the hypothesis that
# a law follows the ODE exactly as well as Gaussian inputs do, $t$ exceeds the per-test critical value
# $t_c$ with probability equal to the level of the parameters cell. The claim, though, is about all laws
# and all four order parameters at once, and with about 30 such tests per setting one of them would exceed
# $t_c$ by chance with a probability of a few percent. We therefore judge the claim against the family-wise
# critical value $t_\mathrm{fw}$ (Bonferroni: the quantile at the level divided by the number of tests), so
# that a false alarm anywhere in a setting has probability at most the level.

# %%
def floor_table(combo):
    out, ft = sweeps[combo], tests[combo]
    head = "| law | " + " | ".join(f"{n} (ratio, $t$)" for n in s5.GAPS) + " |"
    lines = [head, "|---" * (len(s5.GAPS) + 1) + "|"]
    for label, o in out.items():
        cells = []
        for name in s5.GAPS:
            f = ft[name]
            if o.diverged:
                cells.append(f"{o.diverged} of {o.tlog[name].size} runs diverged")
            else:
                cells.append(f"{f.mean[label]:.4f} ± {f.se[label]:.4f} ({f.ratio(label):.2f}, {f.t[label]:.1f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| critical $t_c$ | " + " | ".join(f"{ft[n].t_crit:.2f} (dof {ft[n].dof})" for n in s5.GAPS) + " |")
    lines.append(f"| family-wise $t_\\mathrm{{fw}}$ ({n_tests[combo]} tests) | "
                 + " | ".join(f"{t_fw[combo]:.2f}" for _ in s5.GAPS) + " |")
    return "\n".join(lines)


display(Markdown(floor_table(main)))
worst = max(((tests[main][n].t[label], label, n) for n in s5.GAPS for label in finite_table if label != reference))
glue("worst_t", f"{worst[0]:.1f}", display=False)
glue("worst_law", worst[1], display=False)
glue("worst_metric", worst[2], display=False)
glue("t_crit", f"{ft['Q'].t_crit:.2f}", display=False)
glue("t_fw", f"{t_fw[main]:.2f}", display=False)
glue("n_tests", str(n_tests[main]), display=False)
glue("floor_Q", f"{ft['Q'].floor:.4f}", display=False)
ratios = [ft[n].ratio(label) for n in s5.GAPS for label in finite_table]
kurt_value, kurt_law = max((moments[label].exkurt, label) for label in finite_table)
glue("kurt_law", kurt_law, display=False)
glue("kurt_value", f"{kurt_value:.1f}", display=False)
glue("ratio_max", f"{max(ratios):.2f}", display=False)

fig, ax = plt.subplots(figsize=(9, 3.6))
xs = np.arange(len(by_label))
finite_labels = [label for label in by_label if moments[label].finite_variance]
for i, name in enumerate(s5.GAPS):
    vals = [ft[name].t[label] for label in finite_labels]
    ax.plot(np.arange(len(finite_labels)) + 0.12 * (i - 1.5), vals, "o", color=style.PALETTE[i], label=name)
ax.axhline(ft["Q"].t_crit, color="k", ls=":", lw=1, label=f"$t_c$ (one test, level {level:g})")
ax.axhline(t_fw[main], color="k", ls="--", lw=1, label=r"$t_\mathrm{fw}$ (all tests)")
ax.axhline(0, color="k", lw=0.8)
ax.set_xticks(np.arange(len(finite_labels)), finite_labels, rotation=30, ha="right")
ax.set_ylabel("excess over the Gaussian floor, $t$")
ax.legend(ncol=5, fontsize=8)
style.savefig(fig, "universality_t")
glue("fig7t", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig7t
# :name: fig-universality-t
#
# Excess of each finite-variance law's tLog-RMSE over the Gaussian floor, in units of the pooled run-to-run
# scatter ($t$ statistic), for $Q$, $R$, $v$ and $\epsilon_g$; dotted: the critical value of one test,
# dashed: the family-wise one that the claim uses.
# ```
#
# Every law of Table 1 with a variance stays within the floor: the largest $t$ is {glue:text}`worst_t`
# ({glue:text}`worst_law`, {glue:text}`worst_metric`), against the family-wise $t_\mathrm{fw}=${glue:text}`t_fw`
# over {glue:text}`n_tests` tests (one test alone: $t_c=${glue:text}`t_crit`), and no mean
# tLog-RMSE exceeds {glue:text}`ratio_max` times the Gaussian one (floor of $Q$: {glue:text}`floor_Q`). This
# includes the law with the largest excess kurtosis, {glue:text}`kurt_law` ({glue:text}`kurt_value`).
#
# The heavy-tailed Pareto law (shape 2.5, finite variance, infinite third and fourth moments) is the
# exception, listed last in the table; we come back to it after the Lorentz law.
#
# ### Other seeds
#
# One seed fixes the initial weights and every sample the runs draw, and all laws share them, so the
# table above is one draw of the whole experiment. We repeat one setting with further seeds for a subset of
# the laws (parameters `replicate_seeds`, `replicate_setting`, `replicate_laws`; the first row is the main
# seed, read from the runs above).

# %%
rep_rows, rep_ratios = {}, []
rep_tested = [x for x in replicate_laws if x != reference]
rep_pool = [x for x in rep_tested if moments[x].finite_kurtosis]
rep_fw = None


def replicate(sd, n=N, exact=False):
    """The study's laws in the setting rep_combo with seed sd and N = n (D in proportion): floor tests per metric.
    ``exact``: standardise with the laws' exact mean and variance instead of sample estimates (same draws)."""
    model = Model(N=n, D=round(n * D / N), K=K, M=M, lr=lr, g=rep_combo[0], f=rep_combo[1])
    if exact:
        cs = tuple(s5.comparison(model, by_label[x], runs=runs, t_max=t_max, points=points, seed=sd,
                                 standardize_samples=None) for x in replicate_laws)
        outs = dict(zip(replicate_laws, s5.guarded_batch(cs)))
    elif sd == seed and n == N:          # a law's runs do not depend on the batch: reuse the main runs
        outs = {x: sweeps[rep_combo][x] for x in replicate_laws}
    else:
        outs = s5.sweep(model, [by_label[x] for x in replicate_laws], runs=runs, t_max=t_max, points=points, seed=sd)
    return {name: s5.floor_test(outs, reference, rep_pool, name, level=level) for name in s5.GAPS}


for sd in ([seed] + list(replicate_seeds)) if replicate_seeds else []:
    fts = replicate(sd)
    rep_fw = t_family(len(s5.GAPS) * len(rep_tested), fts["Q"].dof)
    rep_rows[sd] = {x: (max(fts[n].ratio(x) for n in s5.GAPS), max((fts[n].t[x], n) for n in s5.GAPS))
                    for x in rep_tested}
    rep_ratios += [fts[n].ratio(x) for n in s5.GAPS for x in rep_tested]
if rep_rows:
    lines = ["| seed | " + " | ".join(f"{x}: largest ratio ($t$, metric)" for x in rep_tested) + " |",
             "|---" * (len(rep_tested) + 1) + "|"]
    for sd, row in rep_rows.items():
        cells = [f"{r:.2f} ({t:.1f}, {n}){' **> t_fw**' if t >= rep_fw else ''}" for r, (t, n) in row.values()]
        lines.append(f"| {sd}{' (main)' if sd == seed else ''} | " + " | ".join(cells) + " |")
    lines.append(f"| family-wise $t_\\mathrm{{fw}}$ | {rep_fw:.2f} ({len(s5.GAPS) * len(rep_tested)} tests per seed) |"
                 + " |" * (len(rep_tested) - 1))
    display(Markdown("\n".join(lines)))
    rep_fail = [(sd, x) for sd, row in rep_rows.items() for x, (_, (t, _n)) in row.items() if t >= rep_fw]
    glue("rep_setting", f"g = {rep_combo[0]}, f = {rep_combo[1]}", display=False)
    glue("rep_seeds", str(len(rep_rows)), display=False)
    glue("rep_fail_text", "no law exceeds it under any seed" if not rep_fail else
         "it is exceeded by " + "; ".join(f"{x} under seed {sd}" for sd, x in rep_fail), display=False)
    glue("rep_above", f"{np.mean(np.array(rep_ratios) > 1):.0%}", display=False)
    glue("rep_geo", f"{np.exp(np.mean(np.log(rep_ratios))):.2f}", display=False)
else:
    rep_fail = []
    for key in ("rep_setting", "rep_seeds", "rep_fail_text", "rep_above", "rep_geo"):
        glue(key, "(not run)", display=False)

# %% [markdown]
# With {glue:text}`rep_seeds` seeds in the setting {glue:text}`rep_setting` and the family-wise critical value
# of each seed's tests, {glue:text}`rep_fail_text`. Over all these seeds, laws and metrics,
# {glue:text}`rep_above` of the ratios to the Gaussian floor are above 1, and their geometric mean is
# {glue:text}`rep_geo`. So the finite-variance laws are not exactly at the floor: at this size they sit on
# average a little above it, by an amount that a test with this many runs resolves only now and then. The
# cumulant argument predicts corrections that vanish as $D$ grows. Whether this excess is such a
# finite-size residue is what the next study asks.
#
# ### The excess against the size of the network
#
# If the excess comes from the non-Gaussian shape of the projections, it is a systematic bias on top of
# the run-to-run fluctuations. The projections' third and fourth cumulants shrink like $1/D$ (Table 1), so
# the bias should too, while one run fluctuates about the ODE by $O(N^{-1/2})$. With $D/N$ fixed, a bias
# $b\propto 1/D$ beside fluctuations $\sigma\propto N^{-1/2}$ gives a ratio to the floor of
# $\sqrt{1 + b^2/\sigma^2} = 1 + O(1/N)$: the excess should roughly halve at each doubling of $N$. We
# repeat the study above (same setting, laws, runs, $t_{\max}$ and seeds) at several $N$, with $D$ in
# proportion (parameter `replicate_N`).

# %%
size_points, size_seed_log, size_worst = [], {}, {}
for n in replicate_N if replicate_seeds else []:
    for sd in [seed] + list(replicate_seeds):
        fts = replicate(sd, n)
        size_points += [(n, x, float(np.exp(v.mean()))) for x, v in excess.log_ratios(fts, rep_tested).items()]
        size_seed_log[n, sd] = excess.mean_log_ratio(fts, rep_tested)
        size_worst[n, sd] = excess.largest_t(fts, rep_tested)
fit = excess.size_trend(size_seed_log) if len(set(replicate_N)) > 1 and replicate_seeds else None
if fit is not None:
    Ns, geo, geo_se = fit.Ns, fit.geo, fit.geo_se
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, x in enumerate(rep_tested):
        pts = [(n, r) for n, law, r in size_points if law == x]
        ax.plot([n * 1.04 ** (i - (len(rep_tested) - 1) / 2) for n, _ in pts], [r for _, r in pts], "o",
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
    ax.set_xlabel(f"$N$ ($D = N/{N / D:g}$)")
    ax.set_ylabel("tLog-RMSE / Gaussian floor")
    ax.legend(fontsize=8, ncol=2)
    style.savefig(fig, "excess_versus_N")
    glue("size_fig", fig, display=False)
    lines = ["| $N$ | $D$ | geometric mean ratio (± s.e. over seeds) | share of ratios > 1 "
             "| largest $t$ (law, metric, seed) |", "|---|---|---|---|---|"]
    for n in Ns:
        rs = np.array([r for m, _, r in size_points if m == n])
        t_w, x_w, name_w, sd_w = max((*size_worst[m, sd], sd) for m, sd in size_worst if m == n)
        lines.append(f"| {n} | {round(n * D / N)} | {geo[n]:.2f} ± {geo[n] * geo_se[n]:.2f} | {np.mean(rs > 1):.0%} "
                     f"| {t_w:.1f} ({x_w}, {name_w}, seed {sd_w}) |")
    display(Markdown("\n".join(lines)))
    glue("size_Ns", ", ".join(map(str, Ns)), display=False)
    glue("size_geo_first", f"{geo[Ns[0]]:.2f}", display=False)
    glue("size_geo_last", f"{geo[Ns[-1]]:.2f}", display=False)
    glue("size_slope", f"{fit.slope:.3f} ± {fit.slope_se:.3f}", display=False)
    if fit.slope < -2 * fit.slope_se:
        verdict = "the excess shrinks as the network grows, as a finite-size residue should"
    elif fit.slope > 2 * fit.slope_se:
        verdict = "the excess grows with the network, which a finite-size residue cannot explain"
    else:
        verdict = "no trend with the size of the network is resolved by these seeds"
    glue("size_verdict", verdict, display=False)
    glue("size_pred_last", f"{fit.predicted(Ns[-1]):.2f}", display=False)
    glue("size_pred_slope", f"{fit.pred_slope:.3f}", display=False)
    glue("size_pred_z", f"{(fit.slope - fit.pred_slope) / fit.slope_se:.1f}", display=False)
else:
    for key in ("size_fig",):
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "not run under these parameters", ha="center")
        glue(key, fig, display=False)
    for key in ("size_Ns", "size_geo_first", "size_geo_last", "size_slope", "size_verdict", "size_pred_last",
                "size_pred_slope", "size_pred_z"):
        glue(key, "(not run)", display=False)

# %% [markdown]
# ```{glue:figure} size_fig
# :name: fig-excess-versus-N
#
# The ratio of each finite-variance law's tLog-RMSE to the Gaussian floor (geometric mean over the four
# order parameters; one point per law and seed, shifted sideways for legibility) at $N$ =
# {glue:text}`size_Ns`, with $D$ in proportion. Black: geometric mean over laws, metrics and seeds, with
# its standard error from the scatter between seeds.
# ```
#
# The geometric mean of the ratios goes from {glue:text}`size_geo_first` at the smallest $N$ to
# {glue:text}`size_geo_last` at the largest. A straight-line fit of the log-ratio (mean over laws and
# metrics, one value per seed and $N$) against $\log N$ has the slope {glue:text}`size_slope` (± its
# standard error): {glue:text}`size_verdict`. A bias of order $1/D$ would make the log-ratio fall like
# $1/N$, so that the ratio would go from {glue:text}`size_geo_first` at the smallest $N$ to about
# {glue:text}`size_pred_last` at the largest; fitted like the data, that decay has the slope
# {glue:text}`size_pred_slope`, and the measured slope lies {glue:text}`size_pred_z` standard errors above it.
#
# One cause of an excess that does not shrink with $N$ is built into the procedure: each law is
# standardised with a mean and variance estimated from $10^4$ draws, so every coordinate of $C$ keeps a
# mean error of about $10^{-2}$, and the projections $U$ and $\nu$ inherit offsets of that size whatever
# $D$ is, while the Gaussian reference is exactly $\mathcal N(0, I_D)$. To measure this part we repeat
# the study at the main $N$ with the exact population mean and variance of each law (same draws, same
# weights):

# %%
exact_rows = {}
for sd in ([seed] + list(replicate_seeds)) if replicate_seeds else []:
    fts_x = replicate(sd, exact=True)
    exact_rows[sd] = (excess.mean_log_ratio(replicate(sd), rep_tested), excess.mean_log_ratio(fts_x, rep_tested),
                      excess.largest_t(fts_x, rep_tested))
if exact_rows:
    lines = ["| seed | geometric mean ratio, sample moments | exact moments "
             "| largest $t$ with exact moments (law, metric) |",
             "|---|---|---|---|"]
    for sd, (l_s, l_x, (t_x, x_x, n_x)) in exact_rows.items():
        lines.append(f"| {sd} | {np.exp(l_s):.2f} | {np.exp(l_x):.2f} | {t_x:.1f} ({x_x}, {n_x}) |")
    display(Markdown("\n".join(lines)))
    geo_s = float(np.exp(np.mean([r[0] for r in exact_rows.values()])))
    geo_x = float(np.exp(np.mean([r[1] for r in exact_rows.values()])))
    t_x_max = max(r[2] for r in exact_rows.values())
    glue("exact_geo_s", f"{geo_s:.2f}", display=False)
    glue("exact_geo_x", f"{geo_x:.2f}", display=False)
    glue("exact_worst", f"{t_x_max[0]:.1f} ({t_x_max[1]}, {t_x_max[2]})", display=False)
    glue("exact_verdict", "most of the excess is the error of the sample standardisation" if geo_x - 1 < (geo_s - 1) / 2
         else "most of the excess remains: it belongs to the laws, not to the sample standardisation", display=False)
else:
    for key in ("exact_geo_s", "exact_geo_x", "exact_worst", "exact_verdict"):
        glue(key, "(not run)", display=False)

# %% [markdown]
# Over the seeds the geometric mean of the ratios is {glue:text}`exact_geo_s` with sample moments and
# {glue:text}`exact_geo_x` with exact ones, and the largest $t$ with exact moments is
# {glue:text}`exact_worst`: {glue:text}`exact_verdict`.
#
# We have no tested explanation for what remains. A candidate is the tail of the laws: a run at size $N$
# draws $N t_{\max} D$ coordinates, so the largest standardised values it meets grow with $N$ for every law
# with a power-law tail (Pareto), and slowly for exponential tails (Laplace, Poisson), and single large
# inputs kick the weights by steps that the ODE, which sees only second moments, does not describe. That
# mechanism would not fade with $N$; testing it needs laws with the same kurtosis and different tails.

# %% [markdown]
# ## Fig. 8: the Lorentz input, standardised with more and more samples
#
# For each sample size $n$ the standardising map uses the sample mean and standard deviation of $n$ draws
# per coordinate. A run whose weights blow up (with a ReLU teacher a Cauchy label can be arbitrarily large)
# is stopped and marked as diverged; its gap to the ODE is infinite. We run the heavy Pareto law the same
# way, plus once with its exact population mean and variance ("exact").

# %%
studied = [combo for combo in combos if combo == main or appendix_study]   # settings with the sample-size study
studies, exact = {}, {}
for combo in studied:                    # one batch per law: every sample size, and exact moments if they exist
    studies[combo], exact[combo] = {}, {}
    for label in study:
        has_exact = moments[label].finite_variance
        outs = s5.sample_size_study(models[combo], by_label[label], list(study_sizes) + [None] * has_exact,
                                    runs=runs, t_max=t_max, points=points, seed=seed)
        studies[combo][label] = outs[:len(study_sizes)]
        if has_exact:
            exact[combo][label] = outs[-1]
scales = {label: s5.standardization_scale(by_label[label], D, study_sizes, seed=seed) for label in study}


def run_excess(o, combo):
    """Per run: largest excess over the floor among Q, R, v, eg, in single-run margins (inf if diverged)."""
    return np.max([s5.excess_in_margins(o, tests[combo][n], runs) for n in s5.GAPS], axis=0)


def run_ratio(o, combo):
    """Per run: largest tLog-RMSE / floor among Q, R, v, eg (inf if diverged)."""
    return np.max([o.tlog[n] / tests[combo][n].floor for n in s5.GAPS], axis=0)


fig, axes = plt.subplots(1, 3, figsize=(15, 4))
lorentz = [label for label in study if not moments[label].finite_variance]
ax = axes[0]
ax.plot(t[1:], ode.eg[0, 1:], color="k", lw=2.2, label="ODE")
gauss_eg = out[reference].result.sgd.eg.mean(0)
ax.plot(t[1:], gauss_eg[1:], color="gray", ls="--", label="Gaussian, SGD mean")
top = 1.0
for i, (n, o) in enumerate(zip(study_sizes, studies[main][lorentz[0]] if lorentz else [])):
    color = style.PALETTE[(i + 1) % len(style.PALETTE)]
    ax.plot([], [], color=color, lw=1, label=f"$n$ = {n:g}")
    if o.result is not None:
        for eg in o.result.sgd.eg:
            ax.plot(t[1:], eg[1:], color=color, lw=1)
            top = max(top, float(np.nanmax(eg)))
    for td in o.t_diverged[np.isfinite(o.t_diverged)]:
        ax.plot([td], [0], "x", color=color, ms=9, mew=2, transform=ax.get_xaxis_transform(), clip_on=False)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("$t$   (×: a run diverged)")
ax.set_ylabel(r"$\epsilon_g$, Lorentz input")
ax.legend(fontsize=8)

ax = axes[1]
ceiling = 1e4
for i, label in enumerate(study):
    color = style.PALETTE[3 + i]
    for n, o in zip(study_sizes, studies[main][label]):
        r = run_ratio(o, main)
        ok = np.isfinite(r)
        ax.plot(np.full(ok.sum(), n), r[ok], "o", color=color, mfc="none")
        ax.plot(np.full((~ok).sum(), n), np.full((~ok).sum(), ceiling), "^", color=color, ms=9)
    med = [np.median(run_ratio(o, main)) for o in studies[main][label]]
    ax.plot(study_sizes, np.minimum(med, ceiling), "-", color=color, label=f"{label} (median)")
    if label in exact[main]:
        r = run_ratio(exact[main][label], main)
        xe = study_sizes[-1] * 10
        ax.plot(np.full(r.size, xe), r, "s", color=color, label=f"{label}, exact moments")
gauss_r = run_ratio(out[reference], main)
ax.axhspan(0, 1 + s5.run_margin(ft["Q"], runs) / ft["Q"].floor, color="gray", alpha=0.2,
           label="Gaussian floor + margin (Q)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_ylim(0.3, ceiling * 2)
ticks = list(study_sizes) + ([study_sizes[-1] * 10] if exact[main] else [])
ax.set_xticks(ticks, [f"$10^{{{math.log10(n):.0f}}}$" for n in study_sizes] + (["exact"] if exact[main] else []))
ax.minorticks_off()
ax.set_xlabel("standardisation samples $n$   (▲: diverged)")
ax.set_ylabel("largest tLog-RMSE / Gaussian floor")
ax.legend(fontsize=8)

ax = axes[2]
for i, label in enumerate(study):
    s = scales[label]
    ax.loglog(s["n"], s["median"], "o-", color=style.PALETTE[3 + i], label=f"{label}: median over coordinates")
    ax.fill_between(s["n"], s["q10"], s["q90"], color=style.PALETTE[3 + i], alpha=0.2, lw=0)
    if math.isfinite(s["exact"]):
        ax.axhline(s["exact"], color=style.PALETTE[3 + i], ls=":", label=f"{label}: population sd")
n_arr = np.array(study_sizes, dtype=float)
if lorentz:
    s = scales[lorentz[0]]
    ax.loglog(n_arr, s["median"][0] * np.sqrt(n_arr / n_arr[0]), "k--", lw=1, label=r"$\propto n^{1/2}$")
ax.set_xlabel("standardisation samples $n$")
ax.set_ylabel("sample standard deviation (raw law)")
ax.legend(fontsize=8)
style.savefig(fig, "lorentz_breakdown")
glue("fig8", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig8
# :name: fig-lorentz-breakdown
#
# The Lorentz input, standardised with the sample mean and standard deviation of $n$ draws per coordinate.
# Left: generalisation error of the runs that did not diverge, for each $n$, against the ODE and the
# Gaussian SGD mean; crosses on the time axis mark runs that diverged. Middle: each run's largest
# tLog-RMSE (over $Q$, $R$, $v$, $\epsilon_g$) relative to the Gaussian floor, against $n$, for the Lorentz
# law and the heavy Pareto law (squares: Pareto standardised with its exact moments); triangles: diverged
# runs; grey band: the Gaussian floor plus the single-run margin. Right: the sample standard deviation that
# the standardisation divides by (median and 10 to 90 % range over coordinates).
# ```

# %%
lor_excess = {}          # (setting, law without variance) -> (excess per run, [excess per run for each n])
for combo in combos:
    for label in [x for x in sweeps[combo] if not moments[x].finite_variance]:
        per_n = [run_excess(o, combo) for o in studies[combo][label]] if label in studies.get(combo, {}) else []
        lor_excess[(combo, label)] = (run_excess(sweeps[combo][label], combo), per_n)
if lorentz:
    main_run, per_n = lor_excess[(main, lorentz[0])]
    diverged = [int(o.diverged) for o in studies[main][lorentz[0]]]
    glue("lor_min_excess", f"{min(float(np.min(main_run)), min(float(np.min(p)) for p in per_n)):.0f}", display=False)
    glue("lor_diverged", ", ".join(f"{d}" for d in diverged), display=False)
    glue("lor_sizes", ", ".join(f"{n:g}" for n in study_sizes), display=False)
    slope = float(np.polyfit(np.log(scales[lorentz[0]]["n"]), np.log(scales[lorentz[0]]["median"]), 1)[0])
    glue("lor_scale_slope", f"{slope:.2f}", display=False)
else:
    slope = math.nan

# %% [markdown]
# The Lorentz runs are nowhere near the ODE: even the closest one is {glue:text}`lor_min_excess` single-run
# margins above the Gaussian floor, and with a ReLU teacher many runs blow up (diverged runs for
# $n$ = {glue:text}`lor_sizes`: {glue:text}`lor_diverged` of the runs). Collecting more samples does not help:
# the sample standard deviation grows like $n^{s}$ with $s=${glue:text}`lor_scale_slope` (right panel; the
# theory says $1/2$), so the standardised input shrinks as $n$ grows while its rare, enormous values stay,
# and the labels become mostly near zero punctuated by huge kicks. There is no limit for the procedure to
# settle on, which is the paper's point: standardisation restores the Gaussian dynamics only when the
# moments it matches exist.
#
# ### The heavy Pareto law: a variance is not enough at this size

# %%
heavy = [label for label in study if moments[label].finite_variance and not moments[label].finite_kurtosis]
heavy_stats = {}
for combo in combos:
    for label in [x.label for x in extra_laws if moments[x.label].finite_variance and x.label in sweeps[combo]]:
        f = tests[combo]
        heavy_stats[(combo, label)] = {n: (f[n].ratio(label), f[n].t[label]) for n in s5.GAPS}
if heavy:
    h = heavy[0]
    ratios_n = [float(np.median(run_ratio(o, main))) for o in studies[main][h]]
    ratio_exact = float(np.median(run_ratio(exact[main][h], main)))
    best = int(np.argmin(ratios_n))
    glue("heavy_ratio_sweep", f"{max(r for r, _ in heavy_stats[(main, h)].values()):.1f}", display=False)
    glue("heavy_t_sweep", f"{max(t for _, t in heavy_stats[(main, h)].values()):.1f}", display=False)
    glue("heavy_n_small", f"{study_sizes[0]:g}", display=False)
    glue("heavy_ratio_small", f"{ratios_n[0]:.1f}", display=False)
    glue("heavy_n_best", f"{study_sizes[best]:g}", display=False)
    glue("heavy_ratio_best", f"{ratios_n[best]:.1f}", display=False)
    glue("heavy_ratio_exact", f"{ratio_exact:.1f}", display=False)
    glue("heavy_samples_run", f"{N * t_max:g}", display=False)
    glue("heavy_var_small", f"{scales[h]['exact'] ** 2 / scales[h]['median'][0] ** 2:.2f}", display=False)
    r_gap = exact[main][h].result
    dR = float((r_gap.sgd.R - r_gap.ode.R).mean(axis=0)[-1].mean())
    deg = float((r_gap.sgd.eg - r_gap.ode.eg).mean(axis=0)[-1])
    glue("heavy_dR", f"{dR:+.3f}", display=False)
    glue("heavy_deg", f"{deg:+.3f}", display=False)

# %% [markdown]
# The Pareto law with shape 2.5 has a variance, so the paper's statement covers it, but at this size it does
# not follow the ODE within the floor: with the paper's procedure (standardisation from $10^4$ samples) its
# largest tLog-RMSE ratio is {glue:text}`heavy_ratio_sweep` ($t$ up to {glue:text}`heavy_t_sweep`). The
# sample-size study (middle panel) is not monotone. With $n=${glue:text}`heavy_n_small` samples the median
# ratio is {glue:text}`heavy_ratio_small`: the sample variance of a few heavy-tailed draws typically
# underestimates the variance (the population variance is {glue:text}`heavy_var_small` times the median
# sample variance there), so the "standardised" input is too large. The ratio is smallest,
# {glue:text}`heavy_ratio_best`, at $n=${glue:text}`heavy_n_best`, and with the exact mean and variance it
# is {glue:text}`heavy_ratio_exact`, still far above the floor. At the end of the runs with exact moments
# SGD's teacher overlap $R$ trails the ODE by {glue:text}`heavy_dR` on average and its error exceeds the
# ODE's by {glue:text}`heavy_deg`: SGD learns more slowly than the theory says.
#
# Our reading: a single SGD run is in the same position as a finite sample. Over its
# $Nt\approx${glue:text}`heavy_samples_run` steps it typically meets fewer large labels than the variance
# accounts for, and the averages that the ODE replaces by expectations converge only like $(Nt)^{-0.2}$.
# Standardising with a sample of comparable size inflates the input by about the same typical factor and
# partly cancels the effect; exact standardisation exposes it. The ODE remains the limit (the variance
# exists), but the approach to it is slow enough that $N = 1000$ is far from it. The claim "finite variance
# suffices" holds asymptotically; at the paper's size, what we observe to be needed is a finite fourth
# moment. (A scan over $N$ would settle how fast the gap closes; it is not part of this chapter.)

# %% [markdown]
# ## Appendix: the erf activation and a second folding function
#
# The paper repeats the study with the erf activation and with a second folding function; ours is
# $f=\tanh$, odd like sgn but smooth, so that, unlike sgn, it sees the scale of $U$ and not only its sign.
# We change one ingredient at a time from the main setting: {glue:text}`app_settings`. These settings run
# the laws {glue:text}`app_laws_text`. The laws with a fourth moment among them supply, with the reference,
# the pooled run-to-run scatter of the floor test ({glue:text}`app_dof`). The sample-size study
# {glue:text}`app_study_text`. (The quick profile leaves the heavy Pareto law out of these settings and
# does not repeat the study there; the paper profile runs every law and the study in every setting, and
# also the erf activation with $f=\tanh$.)
#
# Over the same window the further settings learn more slowly than the main one (numbers below), which
# raises the question whether the comparison tests anything: a network that hardly moved would trivially
# match an ODE that hardly moves either. It does move: {glue:text}`app_moved_text`. (Ratios: the largest change of
# a component of $Q$, $R$, $v$ along the ODE, in units of the Gaussian floor of that metric; the least of
# the three is given.)

# %%
extra = combos[1:]
color_of = {label: colors[i % len(colors)] for i, label in enumerate(plotted)}
moved = {}
for combo in combos:
    res_ref = sweeps[combo][reference].result
    ratio_move = min(ode_movement(res_ref, n) / tests[combo][n].floor for n in s5.METRICS)
    moved[combo] = (ratio_move, res_ref.ode.eg[0, 0], res_ref.ode.eg[0, -1])
if extra:
    fig, axes = plt.subplots(len(extra), 2, figsize=(14, 3.8 * len(extra)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 2]})
    for row, combo in enumerate(extra):
        ax = axes[row, 0]
        ode_eg = sweeps[combo][reference].result.ode.eg[0]
        for label, o in sweeps[combo].items():
            if o.result is None:                   # every run diverged: nothing to draw but the legend
                ax.plot([], [], color=style.PALETTE[3], ls=":", label=f"{label}: all {runs} runs diverged")
                continue
            if moments[label].finite_variance:
                gap = np.abs(o.result.sgd.eg.mean(0) - ode_eg)
                ax.plot(t[1:], gap[1:], lw=2.4 if label == reference else 1.3, color=color_of.get(label, "#999999"),
                        label=f"{label}, SGD mean")
            else:
                for k, eg in enumerate(o.result.sgd.eg):
                    ax.plot(t[1:], np.abs(eg - ode_eg)[1:], color=style.PALETTE[3], lw=0.9, ls=":",
                            label=f"{label}, single runs ({o.diverged} of {runs} diverged)" if k == 0 else None)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel(rf"|SGD - ODE|, $\epsilon_g$   ($g$ = {combo[0]}, $f$ = {combo[1]})", fontsize=10)
        ax.legend(fontsize=8)
        ax = axes[row, 1]
        labels_c = [label for label in finite_of[combo]]
        for i, name in enumerate(s5.GAPS):
            vals = [tests[combo][name].t[label] for label in labels_c]
            ax.plot(np.arange(len(labels_c)) + 0.12 * (i - 1.5), vals, "o", color=style.PALETTE[i], label=name)
        ax.axhline(t_fw[combo], color="k", ls="--", lw=1, label=r"$t_\mathrm{fw}$")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(np.arange(len(labels_c)), labels_c)
        ax.set_ylabel("excess over the floor, $t$")
        ax.legend(ncol=3, fontsize=8)
    axes[-1, 0].set_xlabel("$t$")
    fig.tight_layout()
    style.savefig(fig, "universality_appendix")
else:
    fig, ax = plt.subplots(figsize=(4, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, "no further setting run", ha="center")
glue("fig_app", fig, display=False)


def setting_name(combo):
    """Plain text (glued text is not parsed as Markdown, so no math)."""
    return f"g = {combo[0]}, f = {combo[1]}"


glue("app_settings", "; ".join(setting_name(c) for c in extra) or "(none under these parameters)", display=False)
glue("app_laws_text", ", ".join(appendix_laws), display=False)
glue("app_study_text", "is repeated in each of them" if appendix_study else "is not repeated there", display=False)
glue("app_dof", "; ".join(f"{setting_name(c)}: {tests[c]['Q'].dof} degrees of freedom, family-wise critical value "
                          f"{t_fw[c]:.2f} over {n_tests[c]} tests" for c in extra)
     + f"; main text: {tests[main]['Q'].dof} and {t_fw[main]:.2f}", display=False)
glue("app_moved_text", "; ".join(f"with {setting_name(c)} the ODE's error goes from {moved[c][1]:.3f} to "
                                 f"{moved[c][2]:.3f} and the order parameters move at least {moved[c][0]:.0f} "
                                 f"floors" for c in extra)
     + f" (main text, {setting_name(main)}: from {moved[main][1]:.3f} to {moved[main][2]:.3f}, "
       f"{moved[main][0]:.0f} floors)", display=False)
app_worst = {c: max(((tests[c][n].t[x], x, n) for n in s5.GAPS for x in finite_of[c] if x != reference),
                    default=(-math.inf, "none", "none")) for c in extra}
app_ratio = {c: max((tests[c][n].ratio(x) for n in s5.GAPS for x in finite_of[c] if x != reference),
                    default=math.nan) for c in extra}
glue("app_worst_text", "; ".join(f"{setting_name(c)}: largest t = {app_worst[c][0]:.1f} ({app_worst[c][1]}, "
                                 f"{app_worst[c][2]}) against the family-wise critical {t_fw[c]:.2f}, largest ratio to "
                                 f"the floor {app_ratio[c]:.2f}"
                                 for c in extra) or "(none)", display=False)
glue("app_lorentz_text", "; ".join(f"{setting_name(c)}: {sweeps[c][lab].diverged} of {runs} runs diverged, the "
                                   f"surviving runs at least {float(np.min(lor_excess[(c, lab)][0])):.0f} "
                                   f"single-run margins above the floor"
                                   for c in extra for lab in sweeps[c] if (c, lab) in lor_excess) or "(not run)",
     display=False)

# %% [markdown]
# ```{glue:figure} fig_app
# :name: fig-universality-appendix
#
# The further settings, one row each. Left: gap between the generalisation error of SGD and of the ODE
# over time, for the SGD mean over runs of each law with a variance (thick: the Gaussian input, i.e. the
# floor; colours as in {numref}`fig-universality-dynamics`) and for each surviving single run of the
# Lorentz input (dotted). Right: excess of each law's tLog-RMSE over the
# Gaussian floor ($t$ statistic) for $Q$, $R$, $v$, $\epsilon_g$; dashed: the family-wise critical value.
# ```
#
# Laws with a variance: {glue:text}`app_worst_text`. The Lorentz input: {glue:text}`app_lorentz_text`.
# The table collects every setting: each cell is the largest $t$ over $Q$, $R$, $v$, $\epsilon_g$ and, in
# brackets, the largest ratio to the floor; for the Lorentz law it counts diverged runs and gives the
# smallest ratio of the others; a dash marks a law not run in that setting.

# %%
head = "| law | " + " | ".join(f"g = {g}, f = {f}" for g, f in combos) + " |"
lines = [head, "|---" * (len(combos) + 1) + "|"]
for label in by_label:
    cells = []
    for combo in combos:
        if label not in sweeps[combo]:
            cells.append("–")
            continue
        o, f = sweeps[combo][label], tests[combo]
        if o.diverged:
            cells.append(f"{o.diverged}/{o.tlog['Q'].size} diverged, rest ≥ {np.min(run_ratio(o, combo)):.0f}× floor")
        elif not moments[label].finite_variance:
            cells.append(f"no divergence, ≥ {np.min(run_ratio(o, combo)):.0f}× floor")
        else:
            cells.append(f"{max(f[n].t[label] for n in s5.GAPS):.1f} ({max(f[n].ratio(label) for n in s5.GAPS):.2f})")
    lines.append(f"| {label} | " + " | ".join(cells) + " |")
lines.append("| $t_\\mathrm{fw}$ | " + " | ".join(f"{t_fw[c]:.2f}" for c in combos) + " |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Claims checked
#
# 1. Every law of Table 1 other than the reference is clearly non-Gaussian: |skewness| ≥ 0.5 or |excess
#    kurtosis| ≥ 0.5, or no such moments (exact values).
# 2. (Paper.) Every standardised law of Table 1 with a finite variance follows the ODE within the Gaussian
#    floor: for each of $Q$, $R$, $v$, $\epsilon_g$ and each setting of activation and folding function
#    (the further settings with the laws they run), the comparison-with-control $t$ statistic is below the
#    family-wise critical value $t_\mathrm{fw}$: the one-sided Student quantile at the level of the parameters
#    cell divided by the number of law-metric tests of the setting (Bonferroni). The scatter is pooled over
#    the reference and the laws with a fourth moment, so each test is calibrated (false alarms at the nominal
#    level, tested in `tests/test_section5.py`), and a false alarm anywhere in a setting has probability at
#    most the level. (Judged test by test at $t_c$ instead, about 30 tests at level $10^{-3}$ would raise a
#    false alarm somewhere with a probability of a few percent.)
# 3. (Paper.) The Lorentz input does not: every run is either diverged or farther from the floor than
#    `far` times the single-run margin (the one-sided prediction bound $t_c\,s\sqrt{1+1/n_\mathrm{ref}}$ for
#    one Gaussian-input run), in every setting, and, where the sample-size study is run, this holds at every
#    standardisation sample size (the gap does not settle).
# 4. The standardising scale of the Lorentz law grows like $n^{1/2}$: fitted log-log slope of the median
#    sample standard deviation in $[0.35, 0.65]$ (the median over 500 coordinates of a stable law's sample
#    scale fluctuates by some 10 % per point, a slope error below 0.1 over three decades).
# 5. (Paper, recorded and reported, not asserted.) The heavy-tailed Pareto law, which has a variance, follows
#    the ODE within the floor. In our runs this fails (see above); it is recorded as failed rather than
#    asserted so that the book still builds, and the reproduction report lists it.
# 6. The comparison is not vacuous in any setting: along the ODE, some component of each of $Q$, $R$, $v$
#    moves by more than 10 times the Gaussian floor of that metric within $t_{\max}$. A student that did not
#    learn would then sit several floors away from the ODE over the late log-times, far outside the
#    run-to-run scatter, so "within the floor" means "follows the learning dynamics" and not "both stand
#    still". The drop of the ODE's error over the window is recorded beside it.
# 7. (Paper, recorded and reported, not asserted.) Claim 2 again for a subset of laws in one setting under
#    further seeds ("Other seeds" above), each seed judged family-wise. It is recorded rather than asserted
#    because it asks the same question as claim 2 with new draws: where it fails, the finding is that the
#    outcome of claim 2 depends on the draw, and the report lists it.
# 8. (Ours, recorded, not asserted.) The excess of those laws over the floor shrinks as $N$ and $D$ grow
#    together ("The excess against the size of the network" above): the fitted slope of the log-ratio
#    against $\log N$ is below zero by more than two standard errors. It is a measurement of how the
#    excess behaves, not a claim of the paper, so it is recorded either way.

# %%
from lib.pipeline import claims

book = claims.Registry("06_universality", globals(), section="V.2")
shape = {label: max(abs(moments[label].skew), abs(moments[label].exkurt)) for label in by_label}
non_gauss = [label for law in table_laws if (label := law.label) != reference]
weakest = min((shape[label] if not math.isnan(shape[label]) else math.inf, label) for label in non_gauss)
assert book.check("V.2.table1-non-gaussian", weakest[0] >= 0.5, measured=f"{weakest[0]:.3f} ({weakest[1]})",
                  tolerance="max(|skewness|, |excess kurtosis|) >= 0.5 for every law but the reference",
                  statement="Every law of Table 1 is clearly non-Gaussian (exact skewness or excess kurtosis)."), weakest
for combo in combos:
    g, f = combo
    worst_c = max(((tests[combo][n].t[label], label, n) for n in s5.GAPS for label in finite_of[combo]
                   if label != reference))
    assert book.check(f"V.2.finite-variance-{g}-{f}", worst_c[0] < t_fw[combo], paper_claim="6",
                      measured=f"t = {worst_c[0]:.2f} ({worst_c[1]}, {worst_c[2]})",
                      tolerance=f"t < t_fw = {t_fw[combo]:.2f} (family-wise one-sided level {level:g} over "
                                f"{n_tests[combo]} tests; one test alone: t_c = {tests[combo]['Q'].t_crit:.2f})",
                      statement=f"Every standardised Table-1 law with finite variance follows the ODE within the "
                                f"Gaussian floor (g = {g}, f = {f})."), worst_c
    for label in [x for (c, x) in lor_excess if c == combo]:
        main_run, per_n = lor_excess[(combo, label)]
        assert book.check(f"V.2.lorentz-{g}-{f}", float(np.min(main_run)) > far, paper_claim="6",
                          measured=float(np.min(main_run)), tolerance=f"every run > {far:g} single-run margins",
                          statement=f"The standardised Lorentz input does not follow the ODE (g = {g}, f = {f})."), \
            main_run
        if not per_n:
            continue                                   # no sample-size study in this setting
        closest = min(float(np.min(main_run)), min(float(np.min(p)) for p in per_n))
        assert book.check(f"V.2.lorentz-unsettled-{g}-{f}", closest > far, measured=closest,
                          tolerance=f"every run at every n > {far:g} single-run margins",
                          statement=f"The Lorentz gap does not settle as the standardisation sample grows "
                                    f"(g = {g}, f = {f})."), per_n
    ratio_move, eg0, egT = moved[combo]
    assert book.check(f"V.2.moved-{g}-{f}", ratio_move > 10, measured=[ratio_move, egT / eg0],
                      tolerance="ODE movement / floor > 10 for Q, R and v (measured: [smallest ratio, "
                                "eg(t_max) / eg(0) of the ODE])",
                      statement=f"The comparison window is not vacuous (g = {g}, f = {f}): within t_max the ODE's "
                                f"order parameters move many times the Gaussian floor."), moved[combo]
if lorentz:
    assert book.check("V.2.lorentz-scale", 0.35 <= slope <= 0.65, measured=slope, tolerance="slope in [0.35, 0.65]",
                      statement="The Lorentz law's sample standard deviation grows like n^(1/2)."), slope
if rep_rows:
    worst_rep = max(t for row in rep_rows.values() for _, (t, _n) in row.values())
    passed = book.check(f"V.2.finite-variance-seeds-{rep_combo[0]}-{rep_combo[1]}", not rep_fail, paper_claim="6",
                        measured=f"largest t = {worst_rep:.2f}; above t_fw: {rep_fail or 'none'}",
                        tolerance=f"t < t_fw = {rep_fw:.2f} under every seed {list(rep_rows)}",
                        statement=f"The laws {', '.join(rep_tested)} follow the ODE within the Gaussian floor under "
                                  f"every seed (g = {rep_combo[0]}, f = {rep_combo[1]}).")
    print(f"other seeds: {'pass' if passed else 'FAIL'} ({rep_fail or 'none above t_fw'}); recorded, not asserted")
if fit is not None:
    passed = book.check(f"V.2.finite-size-{rep_combo[0]}-{rep_combo[1]}", fit.slope < -2 * fit.slope_se,
                        paper_claim="6",
                        measured=f"slope {fit.slope:.3f} +- {fit.slope_se:.3f}; geometric mean ratio "
                                 + ", ".join(f"{fit.geo[n]:.2f} (N = {n})" for n in fit.Ns),
                        tolerance="slope of the log-ratio to the floor against log N < -2 s.e.",
                        statement=f"The excess of the finite-variance laws {', '.join(rep_tested)} over the Gaussian "
                                  f"floor shrinks as N and D grow together (g = {rep_combo[0]}, f = {rep_combo[1]}).")
    print(f"excess versus N: {'pass' if passed else 'FAIL'} (slope {fit.slope:.3f} +- {fit.slope_se:.3f}); "
          "recorded, not asserted")
for (combo, label), st in heavy_stats.items():
    t_h = max(t for _, t in st.values())
    t_h_crit = t_family(len(s5.GAPS), tests[combo]["Q"].dof)   # family: its 4 metrics
    passed = book.check(f"V.2.heavy-tail-{combo[0]}-{combo[1]}", t_h < t_h_crit, paper_claim="6",
                        measured=f"t = {t_h:.1f}, ratio {max(r for r, _ in st.values()):.2f}",
                        tolerance=f"t < {t_h_crit:.2f} (family-wise level {level:g} over its {len(s5.GAPS)} metrics)",
                        statement=f"{label} (finite variance, infinite third and fourth moments; our addition) follows "
                                  f"the ODE within the Gaussian floor at this N (g = {combo[0]}, f = {combo[1]}).")
    print(f"{label}, g = {combo[0]}, f = {combo[1]}: {'pass' if passed else 'FAILS'} (t = {t_h:.1f}); "
          "recorded, not asserted (see the text)")
