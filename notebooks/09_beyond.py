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
# # Beyond the paper: how universality emerges with size, and where shape breaks it
#
# Gaussian universality is a statement about the limit of large $N$; the paper tests it at one size
# ($N = 1000$, $D = 500$). Section V ({doc}`/notebooks/06_universality`) found that at that size the standardised
# laws with a variance sit on average a little above the Gaussian floor. This chapter asks three questions
# the paper leaves open, with the paper's model and its measure (the tLog-RMSE between SGD and the
# Gaussian-theory ODE, per run, for $Q$, $R$, $v$ and $\epsilon_g$):
#
# 1. **Finite-size scaling.** As $N$ grows (with $D = N/2$), does each law's excess over the floor vanish,
#    and faster than the floor itself?
# 2. **A map of shape.** Which skewness and kurtosis, and how heavy a tail, does the theory tolerate at one size?
# 3. **A folding function with $a = \mathbb E[f(u)] \neq 0$.** The paper's foldings are odd; what does the
#    constant $a$ do to the ODE, and does the ODE with it describe SGD?
#
# None of this is in the paper; every statement below is ours, measured here, with its scale said.

# %% tags=["parameters"]
activations = ["relu", "erf"]   # g of teacher and student
scaling_laws = [["Gaussian", "gaussian", {}],          # the reference (first)
                ["uniform", "uniform", {"low": 0.0, "high": 1.0}],
                ["beta (arcsine)", "beta", {"a": 0.5, "b": 0.5}],
                ["beta (skewed)", "beta", {"a": 2.0, "b": 5.0}],
                ["Poisson", "poisson", {"rate": 1.0}],
                ["Laplace", "laplace", {"scale": 1.0}],
                ["Pareto", "pareto", {"shape": 5.0}],
                ["Pareto, shape 2.5", "pareto", {"shape": 2.5}],
                ["mixture, per coordinate", "gmm", {"alpha": 9.0, "m": 2, "variant": "coordinate"}],
                ["mixture, one label", "gmm", {"alpha": 9.0, "m": 2, "variant": "shared"}]]
scaling_Ns = [100, 200, 400]    # N of the scaling study; D is ratio times N (paper profile: 250 to 4000)
ratio = 0.5                     # D over N (the paper: 1/2)
runs = 4                        # SGD runs per law and N (paper profile: 10)
t_max = 5.0                     # the paper: 100
points = 24                     # recorded log-spaced times
map_activation = "relu"         # g of the map of shape
map_N = 400                     # N of the map (paper profile: 1000)
map_skews = [0.0, 1.0, 2.0]     # skewness grid of the five-atom laws
map_exkurts = [-1.0, 0.0, 3.0, 8.0]   # excess kurtosis grid (points below skew^2 - 2 do not exist)
student_nus = [2.5, 3.0, 4.0, 5.0]    # Student t degrees of freedom (variance finite for nu > 2)
probe_laws = [["moments", 2.0, 8.0], ["student", 2.5]]   # map points also run at probe_Ns
probe_Ns = [100, 400]           # sizes N of the probe points (paper profile: 500 to 4000)
fold = "relu"                   # the folding function whose mean a is not 0 (ReLU: 1 / sqrt(2 pi))
fold_control = "sgn"            # an odd folding function (mean 0) as the control
fold_Ns = [400]                 # paper profile: 500 to 4000
fold_runs = 6                   # SGD runs per size of the folding study (paper profile: 10)
fold_test_samples = 500         # test samples per run for the measured eg
K = 2
M = 2
lr = 0.2
level = 0.01                    # one-sided level of the tests (family-wise on the map)
reference = "Gaussian"          # the law whose excess is the floor
standardize_samples = None      # None: standardise with the exact mean and variance
seed = 0
results_from = "auto"           # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("09_beyond", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from lib.studies import beyond_figures as figures
from lib.studies import style
from lib.studies.beyond import PARAMETERS, Beyond

style.use()
b = Beyond(**{name: globals()[name] for name in PARAMETERS})
results = b.compute()          # every SGD batch and ODE of the chapter (cached)
words = figures.texts(b)       # every number and phrase the prose glues
for name, text in words.items():
    glue(name, text, display=False)

# %% [markdown]
# Every law is standardised with {glue:text}`std_text` of each coordinate. (Section V uses the paper's sample
# estimates from $10^4$ draws; their error, about $10^{-2}$ per coordinate, gives the projections offsets
# that do not shrink with $N$ and would hide the effect of shape we look for here.) Runs: {glue:text}`runs`
# per law and size, to $t_{\max}=${glue:text}`t_max`, $\eta = 0.2$ (the paper's learning rate; its $1/\sqrt N$
# and $1/N$ scalings are in the update rule, so the same value serves every $N$).
#
# ## 1. Finite-size scaling
#
# For one law at one $N$, run $r$ of the law and run $r$ of the Gaussian reference start from the same
# weights and draw from the same random streams. We average over the four order parameters the paired
# difference of their tLog-RMSEs, each divided by the Gaussian floor of that parameter: the law's **relative
# excess** (0: at the floor; 1: twice the floor), with its standard error over runs. The floor's exponent
# comes from a fit of the floor against $N$ (finite-size fluctuations predict $N^{-1/2}$); for each law we
# fit $x(N) = A (N/N_0)^\beta$ to the relative excess. Its exponent $\beta$ is the excess's exponent minus the
# floor's, so the 95 % interval of $\beta$ decides: below zero, the excess **vanishes faster than the floor**
# (universality emerges); containing zero, **the same rate**; above zero, it **does not vanish with the
# floor**. A law whose excess is below two standard errors at every $N$ is **at the floor**.

# %% tags=["remove-input"]
for g in activations:
    glue(f"fig_scaling_{g}", figures.scaling(b, g), display=False)

# %% [markdown]
# ```{glue:figure} fig_scaling_relu
# :name: fig-beyond-scaling-relu
#
# ReLU activation: the Gaussian floor (black; geometric mean of the four order parameters' tLog-RMSE) and
# each law's excess over it (relative excess times the floor), against $N$ = {glue:text}`Ns`. Open
# down-triangles: excess not resolved, drawn at its two-standard-error upper bound. Lines: power fits.
# ```
#
# ```{glue:figure} fig_scaling_erf
# :name: fig-beyond-scaling-erf
#
# The same for the erf activation.
# ```

# %% tags=["remove-input"]
for g in activations:
    display(Markdown(f"**g = {g}**, relative excess over the floor (± s.e.)\n\n" + figures.scaling_table(b, g)))

# %% [markdown]
# The floor falls like $N^{\beta}$ with $\beta=${glue:text}`floor_beta_relu` for ReLU and
# {glue:text}`floor_beta_erf` for erf. Per law, for ReLU: at the floor at every $N$:
# {glue:text}`verdict_floor_relu`; faster than the floor: {glue:text}`verdict_faster_relu`; same rate:
# {glue:text}`verdict_same_relu`; not vanishing with the floor: {glue:text}`verdict_slower_relu`;
# undecided at these sizes: {glue:text}`verdict_undecided_relu`. For erf: at the floor:
# {glue:text}`verdict_floor_erf`; faster: {glue:text}`verdict_faster_erf`; same rate:
# {glue:text}`verdict_same_erf`; not vanishing: {glue:text}`verdict_slower_erf`; undecided:
# {glue:text}`verdict_undecided_erf`.
#
# The one-label mixture (eq. 17 read literally) is the case the theory does not cover, its coordinates being
# correlated through the shared label: its relative excess is {glue:text}`shared_relu` (ReLU) and
# {glue:text}`shared_erf` (erf) at $N$ = {glue:text}`Ns`, exponents {glue:text}`shared_beta_relu` and
# {glue:text}`shared_beta_erf`. With the quick profile's few runs and short window most intervals are wide;
# the paper profile (10 runs, $t_{\max} = 100$, $N$ up to 4000) is what decides the verdicts, and where it has
# not been run the checks below say "not tested at this scale".
#
# ## 2. A map of shape
#
# To separate the moments from the tails we use two families of unit-variance laws
# (`lib/core/shapes.py`). The first is a discrete law of at most five atoms, a mixture of a two-point law
# and a symmetric three-point law, that reaches *every* admissible pair (skewness, excess kurtosis): the
# region above the edge $\kappa_4 = \kappa_3^2 - 2$ where only two-point laws live, negative kurtosis
# included (a Johnson SU family would only cover kurtosis above the lognormal line). Its moments are exact and
# its support bounded, so nothing in it is a tail. The second is Student's $t$ scaled to unit variance, whose
# fourth moment is infinite for $\nu \le 4$: pure tail at fixed skewness 0. The map is run at
# $N=${glue:text}`map_N` with $g=${glue:text}`map_g`. The margin is the family-wise one-sided bound
# $t_\mathrm{fw}\,\mathrm{s.e.}$ ($t_\mathrm{fw}=${glue:text}`map_t_fw`: level {glue:text}`level` split over
# the map's laws), in units of the floor: from {glue:text}`map_margin_range` here.

# %% tags=["remove-input"]
glue("fig_map", figures.shape_map(b), display=False)

# %% [markdown]
# ```{glue:figure} fig_map
# :name: fig-beyond-map
#
# Left: relative excess over the Gaussian floor of the five-atom laws on the (skewness, excess kurtosis)
# plane (colour and number; a cross marks a law above the family-wise margin; grey: the edge of admissible
# laws). Right: the standardised Student $t$ against $\nu$, with the margin (grey band); dotted: $\nu = 4$,
# below which the fourth moment is infinite.
# ```

# %% tags=["remove-input"]
display(Markdown(figures.map_table(b)))

# %% [markdown]
# Laws above the margin at this size: {glue:text}`map_departs`. The largest excess in units of its margin
# among the laws with a fourth moment: {glue:text}`map_worst`. The Student $t$: {glue:text}`student`.
# Where the margin is large compared with the excesses that matter (here it is several tenths of the floor),
# "no law above the margin" says little: the map's boundary is drawn by the paper profile. Whether it moves
# with $N$ we read from a few points run at several sizes: {glue:text}`probe`.
#
# ## 3. A folding function with $a \neq 0$
#
# The Gaussian equivalent model writes $f(u) \approx a + b u + \sqrt{c - a^2 - b^2}\,\xi$. The paper's
# foldings are odd and $a = 0$; for $f=${glue:text}`fold` ($a = 1/\sqrt{2\pi}$) the constant does three
# things (`lib/core/ode_mean.py`). The student's field gets a mean $\mu_k = a\,\omega_k$,
# $\omega_k = W_k\cdot\mathbf 1/\sqrt N$, so every average of the ODE is over a shifted Gaussian. The
# direction $\mathbf 1$ is an eigenvector of $\mathbb E[XX^\top]$ with eigenvalue $a^2N$, so $\mu_k$ moves
# $N$ times faster than the other order parameters: it relaxes within $t \sim 1/(\eta a^2 N)$ and then keeps
# $\mathbb E[v_k(\hat y - y)g'(\lambda_k)]$ near zero, a learned bias per hidden unit. And the weights' bulk
# receives the second-order term with $|X - a\mathbf 1|^2/N = c - a^2$, not $c$. The book's ODE
# (`lib/core/ode.py`) keeps $a$ only in $c - a^2 - b^2$; we call that "the ODE without the $a$-term".
#
# Bias against fluctuation. A folding function changes the floor, so we measure it within each setting:
# each run's tLog-RMSE against the mean of the other runs (times $\sqrt{(n-1)/n}$) is the part that
# fluctuations alone produce, and the ratio of the tLog-RMSE against an ODE to it is 1 for an exact theory
# and grows with the theory's bias. The control is the odd folding $f=${glue:text}`fold_control` with its
# exact ODE at the same $N$, which carries the finite-size bias of any correct theory. Inputs are Gaussian,
# {glue:text}`fold_runs` runs per setting, $\epsilon_g$ of SGD measured on test samples (the order
# parameters alone do not give it when the fields have a mean).

# %% tags=["remove-input"]
glue("fig_fold", figures.folding(b, activations[0], fold_Ns[-1]), display=False)

# %% [markdown]
# ```{glue:figure} fig_fold
# :name: fig-beyond-fold
#
# Folding $f$ = ReLU ($a\neq0$), activation {glue:text}`fold_g_main`, $N$ = {glue:text}`fold_N_main`: SGD
# mean (thick) against the ODE with the $a$-term (solid) and without it (dotted), for $\epsilon_g$, $Q_{11}$,
# $R_{11}$; right: the means $\mu_k$ of the student fields in the ODE with the term.
# ```

# %% tags=["remove-input"]
display(Markdown("tLog-RMSE over the fluctuation floor (geometric mean over $Q$, $R$, $v$, $\\epsilon_g$)\n\n"
                 + figures.fold_table(b)))

# %% [markdown]
# With ReLU activations at $N$ = {glue:text}`fold_N_main` the ratio is {glue:text}`fold_ctrl_relu_main` for the
# control, {glue:text}`fold_with_relu_main` with the $a$-term and {glue:text}`fold_no_relu_main` without it.
# Relative to the control (with the bootstrap interval at level {glue:text}`level` on each side):
# {glue:text}`fold_with_rel_relu_main` with the term, {glue:text}`fold_no_rel_relu_main` without it. At the
# end of the window the error is {glue:text}`fold_eg_relu_main`. For erf: with the term
# {glue:text}`fold_with_rel_erf_main`, without it {glue:text}`fold_no_rel_erf_main` relative to the control.
# Dropping the term costs much more with ReLU activations: a ReLU unit's output depends on the shift of its
# field at first order, an erf unit's through its symmetric slope only.
#
# What the ODE with the term still leaves out: $\mu_k$ moves by $\eta a v_k(\hat y - y)g'(\lambda_k)$ at every
# step, $O(1)$, and relaxes within $O(1/(\eta a^2))$ steps, so it fluctuates by
# $O(\sqrt{\eta}\,\epsilon_g^{1/2})$ whatever $N$: a residue that does not vanish as $N$ grows and that the
# deterministic ODE does not contain. Whether the remaining gap shrinks with $N$ (a finite-size effect)
# or not (this fluctuation) is read from the sizes in the table.

# %% tags=["remove-input"]
for name in ("fold_ctrl", "fold_with", "fold_no", "fold_with_rel", "fold_no_rel", "fold_eg"):
    glue(f"{name}_relu_main", words[f"{name}_relu_{fold_Ns[-1]}"], display=False)
    glue(f"{name}_erf_main", words[f"{name}_erf_{fold_Ns[-1]}"], display=False)
glue("fold_g_main", activations[0], display=False)
glue("fold_N_main", str(fold_Ns[-1]), display=False)

# %% [markdown]
# (checks-09_beyond)=
# ## Checks
#
# None of these is a claim of the paper (paper_claim is None); they record what this chapter measured, with
# a verdict, and say "not tested at this scale" where the run lacks the power to decide. The rules live in
# `lib/studies/beyond_checks.py`.
#
# 1. The floor falls like $N^{-1/2}$: the 95 % interval of its exponent contains $-1/2$ (decided where the
#    interval is narrower than 0.5).
# 2. Per law and activation: the excess over the floor vanishes at least as fast as the floor (verdict at the
#    floor, faster or same rate). Decided where the fit's interval is narrower than 1, or, for a law at the
#    floor, where two standard errors of its excess are below 0.25 at every $N$. Checks 1 and 2 also need a
#    grid of at least four sizes spanning a factor 8 (a property of the design: with the quick profile's three
#    sizes, 100 to 400, the interval rules alone passed on some seeds and not on others, so there they are not
#    tested at this scale).
# 3. Map: every law of the map with a fourth moment is within the family-wise margin. Decided where every
#    margin is below 0.5 (the map could see an excess of half the floor).
# 4. Map: the Student $t$ laws without a fourth moment ($\nu\le4$) are within the margin (same power rule).
# 5. Folding with $a\neq0$: the ODE with the $a$-term describes SGD as well as the exact ODE describes the
#    odd control, within half again the control's gap: the bootstrap interval (level {glue:text}`level`) of the
#    ratio to the control lies below 1.5; above 1.5 it fails; an interval that straddles 1.5 cannot tell (not
#    tested), nor can fewer than 10 runs (with 6, the verdicts flipped between seeds). (A one-sided "lower bound at most 1" let a wide interval pass.)
# 6. Folding with $a\neq0$: without the term the ODE misses SGD, the interval above 1.5 (below it fails; a
#    finding recorded either way).

# %%
import numpy as np

from lib.pipeline import claims
from lib.studies import beyond_checks

book = claims.Registry("09_beyond", globals(), section="beyond")
for g in activations:
    floor = results["scaling"][g]["floor"]
    assert np.all(np.isfinite(floor)) and min(floor) > 0, floor
for check in beyond_checks.checks(results, activations, level=level, map_N=map_N, map_activation=map_activation,
                                  fold=fold, fold_control=fold_control, fold_runs=fold_runs, scaling_Ns=scaling_Ns):
    recorded = book.add(check)                        # every rule: lib/studies/beyond_checks.py
    assert recorded or not check.asserted, (check.id, check.measured)
print(f"{len(book.claims)} checks recorded")
