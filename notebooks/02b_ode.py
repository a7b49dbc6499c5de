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
# # The ODE of the order parameters
#
# Every "ODE" curve of the paper is the solution of a closed set of ordinary differential equations for
# a handful of order parameters, derived for Gaussian latent inputs in the limit $N, D\to\infty$ at fixed
# $D/N$ {cite}`goldt2020modeling`. This page states the equations we integrate, shows how they are started
# from the very weights an SGD run starts from, and measures how well they describe SGD under Gaussian
# inputs: at the paper's size, and as $N$ grows. The distance that remains at finite $N$ is the *floor*
# that the later chapters compare non-Gaussian inputs against.
#
# ## What evolves
#
# Write the $D\times D$ matrix $FF^\top/N$ through its eigenvalues $\rho_\tau$ and orthonormal eigenvectors
# $e_\tau$, $\tau = 1..D$, and project the student's $S = WF^\top/\sqrt N$ ($K\times D$) and the teacher's
# $\tilde W$ ($M\times D$) on them: $\Gamma_{k\tau} = S_k\cdot e_\tau$, $\tilde B_{m\tau} = \tilde W_m\cdot e_\tau$.
# The state of the ODE is
#
# * for every eigenvalue $\rho_\tau$: $r_{km}(\rho_\tau) = \Gamma_{k\tau}\tilde B_{m\tau}$ and
#   $\sigma_{kl}(\rho_\tau) = \Gamma_{k\tau}\Gamma_{l\tau}$ (the paper bins these into densities over the
#   Marchenko-Pastur law; we keep all $D$ actual eigenvalues of the drawn $F$, so no binning is needed);
# * $\Omega = WW^\top/N$ (called $W$ in the paper's eq. S43) and the second layer $v$.
#
# Averages over the spectrum, $\langle x\rangle = \frac1D\sum_\tau x(\rho_\tau)$, give back the order
# parameters of the previous chapter, {doc}`02_hidden_manifold`:
# $R = b\,\langle r\rangle$, $\Sigma = \langle\sigma\rangle$ and $Q = (c-a^2-b^2)\,\Omega + b^2\Sigma$
# ($a = 0$ for $f=\operatorname{sgn}$). The teacher's $T = \tilde W\tilde W^\top/D$ and $\tilde v$ do not move.
#
# **Local fields.** Collect the $L=K+M$ preactivations $z = (\lambda_1..\lambda_K,\nu_1..\nu_M)$, Gaussian with
# covariance $C = \begin{pmatrix}Q & R\\ R^\top & T\end{pmatrix}$, and the signed second layers
# $w = (v, -\tilde v)$, so that the error is $\hat y - y = \sum_a w_a\, g(z_a)$. Three kinds of Gaussian
# averages appear:
#
# $$ \begin{aligned} I_2(a,b) &= \mathbb E[g(z_a)g(z_b)], \qquad I_3(k,b,a) = \mathbb E[g'(z_k)\,z_b\,g(z_a)],\\
#    I_4(k,l,a,b) &= \mathbb E[g'(z_k)g'(z_l)g(z_a)g(z_b)] . \end{aligned} $$
#
# For $g(x)=\operatorname{erf}(x/\sqrt2)$ all three have closed forms (Saad and Solla): for instance
# $I_2(a,b) = \frac2\pi\arcsin\big(C_{ab}/\sqrt{(1+C_{aa})(1+C_{bb})}\big)$; $I_3$ is a ratio of minors
# of the $3\times3$ covariance involved, and $I_4$ the arcsine of such a ratio divided by the square root of
# another minor. For ReLU, $I_2$ is the arc-cosine kernel and $I_3$ follows from Stein's lemma in closed
# form; $I_4$ has no closed form we know of. The library moves the covariance along a straight path from
# one where $z_k$ and $z_l$ are independent of each other and of $(z_a, z_b)$, so that $I_4$ factorises,
# to the actual one. By Price's theorem the derivative along the path is in closed form (Gaussian
# densities at zero times bivariate orthant probabilities and ReLU two-point averages), and a 16-node
# Gauss-Legendre rule integrates it to about $10^{-6}$ of the covariance scale (`lib.core.integrals`).
#
# Stein's lemma also organises the equations. Any variable $y$ jointly Gaussian with $z$ satisfies
# $\mathbb E[g'(z_k)\,y\,g(z_a)] = \operatorname{Cov}(y,z_k)\,J_1(k,a) + \operatorname{Cov}(y,z_a)\,J_2(k,a)$ with the
# two-point averages $J_1 = \mathbb E[g''(z_k)g(z_a)]$ and $J_2 = \mathbb E[g'(z_k)g'(z_a)]$; in particular
# $I_3(k,b,a) = C_{kb}J_1(k,a)+C_{ab}J_2(k,a)$. This replaces the paper's $2\times2$ inversions (its eqs.
# S41 and S46) by one $K\times L$ matrix,
# $G_{kb} = v_k\big(\delta_{kb}\sum_a w_a J_1(k,a) + w_b J_2(k,b)\big)$.
#
# **The equations.** With $\delta = D/N$, learning rate $\eta$ and the spectral factor
# $d(\rho) = (c-a^2-b^2)\,\delta + b^2\rho$ (eqs. S41-S47 of the paper, in this notation):
#
# $$\begin{aligned}\frac{d r_{km}(\rho)}{dt} = -\frac\eta\delta\Big[&d(\rho)\sum_{j\le K}G_{kj}\,r_{jm}(\rho)\\
#    &+ b\rho\sum_{n\le M}G_{k,K+n}\,t_{nm}(\rho)\Big],\end{aligned}$$
#
# $$\begin{aligned}\frac{d\sigma_{kl}(\rho)}{dt} &= X_{kl}(\rho) + X_{lk}(\rho)
#    + \eta^2 v_kv_l\Big[(c-a^2-b^2)\rho + \frac{b^2\rho^2}{\delta}\Big]\,\mathcal I_{kl},\\
#    X_{kl}(\rho) &= -\frac\eta\delta\Big[d(\rho)\sum_{j}G_{kj}\,\sigma_{jl}(\rho)
#    + b\rho\sum_n G_{k,K+n}\,r_{ln}(\rho)\Big],\end{aligned}$$
#
# $$\begin{aligned}\frac{d\Omega_{kl}}{dt} &= -\eta\,(U_{kl}+U_{lk}) + c\,\eta^2 v_kv_l\,\mathcal I_{kl},\qquad
#    U_{kl} = v_k\sum_a w_a\, I_3(k,l,a),\\
#    \frac{dv_k}{dt} &= -\eta\sum_a w_a\, I_2(k,a),\end{aligned}$$
#
# where $\mathcal I_{kl} = \sum_{a,b}w_aw_b\,I_4(k,l,a,b)$. The terms in $\eta^2$ come from the square of
# one SGD step (the step is $O(\eta/\sqrt N)$ in each of $N$ directions) and are kept. The generalisation
# error follows from the order parameters alone,
# $\epsilon_g = \frac12\sum_{a,b}w_aw_b\,I_2(a,b)$ (eq. S48).

# %% tags=["parameters"]
activations = ["erf", "relu"]   # g of teacher and student, one comparison each
f = "sgn"                       # folding function of the student input
N = 1000                        # input dimension of the comparison (the paper: 1000)
D = 500                         # latent dimension of the comparison (the paper: 500)
K = 2                           # student hidden units
M = 2                           # teacher hidden units
lr = 0.2                        # learning rate
runs = 3                        # SGD runs of the comparison, one initial condition (the paper: 10)
t_max = 30.0                    # length of the comparison in units of N steps (the paper: 100)
example_seed = 0                # initial condition of the comparison
N_values = [125, 250, 500, 1000, 2000]   # input dimensions of the convergence study
ratio = 0.5                     # D over N in the convergence study
seeds = 4                       # initial conditions per N in the convergence study
conv_runs = 2                   # SGD runs per initial condition in the convergence study
conv_t_max = 10.0               # length of the convergence runs
seed = 0                        # first initial condition of the convergence study
points = 40                     # recorded log-spaced times
dt = 0.01                       # forward Euler step of the ODE (the reference code: 0.01)
rk4_dt = 0.05                   # RK4 step of the accuracy check
results_from = "auto"           # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("02b_ode", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
from IPython.display import Markdown, display
from myst_nb import glue

from lib.measures.compare import METRICS
from lib.pipeline import claims
from lib.studies import ode_vs_sgd as study
from lib.studies import ode_vs_sgd_checks
from lib.studies import ode_vs_sgd_figures as figures
from lib.studies import style

style.use()
data = study.chapter_data(globals())   # every cached result of the page: cells, conventions, convergence sweeps

# %% [markdown]
# ## Starting from the same weights as SGD
#
# The ODE needs no separate initialisation. From the weights $F, W, v, \tilde W, \tilde v$ that every SGD run
# starts from, the library diagonalises $FF^\top/N$ and projects $S$ and $\tilde W$ on its eigenvectors
# (`ODEState.from_weights`). The projection is a rotation, so $\langle r\rangle$ and $\langle\sigma\rangle$
# reproduce $R$ and $\Sigma$ of the weights exactly, and ODE and SGD share $t=0$ up to rounding.
#
# All SGD runs of one initial condition share $F$, the teacher and the student and differ only in the
# samples they draw; the ODE is compared with each run and with their mean. One deviation from
# `lib.measures.compare`: the two second layers $v$ and $\tilde v$ are drawn from a stream that depends on the seed
# only, not on $N$. They are $O(1)$ numbers that set the pace of the whole dynamics (the first-layer
# gradient is proportional to $v_k$), so if they were redrawn with every $N$ the size of the SGD-ODE gap
# would jump from one $N$ to the next for reasons unrelated to $N$; with them fixed, the macroscopic
# initial condition converges as $N$ grows.

# %%
t0, t0_ode, t0_sgd = study.start_gaps(data)   # largest |ODE(t=0) or SGD record(t=0) - order parameters of the weights|

# %% tags=["remove-input"]
glue("t0_ode", f"{t0_ode:.0e}", display=False)
glue("t0_sgd", f"{t0_sgd:.0e}", display=False)

# %% [markdown]
# At $t=0$ the ODE's $Q$, $R$, $v$ differ from those computed directly from the weights by at most
# {glue:text}`t0_ode`. The SGD engine records its own $t=0$ values from its single-precision copy of the
# weights, which agree to {glue:text}`t0_sgd`, the rounding of float32.
#
# ## Two conventions
#
# * **The teacher term.** In the equation for $r_{km}$ the teacher enters through
#   $t_{nm}(\rho_\tau) = \tilde B_{n\tau}\tilde B_{m\tau}$, the exact projection for the drawn teacher. The
#   reference code of Goldt et al., which the paper uses, replaces it by the constant
#   $\tilde T_{nm} = \frac1D\sum_\tau\rho_\tau\tilde B_{n\tau}\tilde B_{m\tau}$ for every $\tau$ (the same
#   in the limit, for a teacher independent of $F$). We use the exact term; `teacher_source="tilde"`
#   selects the other.
# * **Time stepping.** Forward Euler with $dt = 0.01$ in units of $t = \text{steps}/N$, as the reference
#   code; RK4 is available.
#
# The table measures both choices on the comparison below: the tLog-RMSE between the ODE with the
# constant $\tilde T$ (or with RK4) and our ODE, beside the per-run gap between SGD and our ODE.

# %%
conventions = study.convention_summary(data)   # tLog-RMSE of each convention against our ODE, and SGD's gap

# %% tags=["remove-input"]
display(Markdown(conventions.markdown()))
euler_ratio, tilde_ratio = conventions.ratio("rk4"), conventions.ratio("tilde")
glue("euler_ratio", f"{100 * euler_ratio:.0f}%", display=False)
glue("tilde_ratio", f"{100 * tilde_ratio:.0f}%", display=False)

# %% [markdown]
# Euler's time-stepping error is at most {glue:text}`euler_ratio` of the finite-size gap, so $dt=0.01$ is
# small enough. The constant-$\tilde T$ shortcut moves the ODE by up to {glue:text}`tilde_ratio` of that
# gap: a visible but minor difference at this size.
#
# ## ODE against SGD under Gaussian inputs

# %% tags=["remove-input"]
fig = figures.trajectories_figure(data.cells)
style.savefig(fig, "ode_vs_sgd")
glue("fig_ode_vs_sgd", fig, display=False)
glue("N", f"{N}", display=False)
glue("D", f"{D}", display=False)
glue("runs", f"{runs}", display=False)
glue("t_max", f"{t_max:g}", display=False)
glue("lr", f"{lr:g}", display=False)

# %% [markdown]
# ```{glue:figure} fig_ode_vs_sgd
# :name: fig-ode-vs-sgd
#
# (no counterpart in the paper) The ODE (solid) against online SGD (dashed: mean of the runs, shaded: ± one standard deviation over
# runs) under Gaussian latent inputs, $N=${glue:text}`N`, $D=${glue:text}`D`, $K=M=2$,
# $\eta=${glue:text}`lr`, $f=\operatorname{sgn}$, {glue:text}`runs` runs from one initial condition, up to
# $t=${glue:text}`t_max`. One column
# per activation; from top to bottom the generalisation error and the components of $Q$, $R$ and $v$.
# The paper's Gaussian floor is the $\alpha=0$ row of Tables I and II of its first version, compared in the
# table below.
# ```
#
# On the scale of {numref}`fig-ode-vs-sgd` the mean of the runs lies on the ODE, and the run-to-run band is barely wider than the
# lines. The table puts numbers on it: per component, the tLog-RMSE (the root mean square difference over
# the recorded, log-spaced times $t>0$, our reading of the paper's eq. 18; see `lib.measures.metrics`) of each run
# against the ODE averaged over runs, the same for the mean of the runs, and the paper's values for
# Gaussian inputs ($\alpha=0$ in its appendix Tables I and II, 001 version).

# %%
floors = study.floor_summary(data)             # per component: ours (per run, mean of runs) and the paper's

# %% tags=["remove-input"]
display(Markdown(floors.markdown_by_component()))
floor_ratio = {g: floors.floor_ratio(g) for g in activations}
run_ratio = {g: floors.run_ratio(g) for g in activations}
for g in ["erf", "relu"]:
    glue(f"floor_ratio_{g}", f"{floor_ratio[g]:.2f}" if g in activations else "n/a", display=False)
    glue(f"run_ratio_{g}", f"{run_ratio[g]:.2f}" if g in activations else "n/a", display=False)
glue("floor_ratio_max", f"{max(floor_ratio.values()):.2f}", display=False)

# %% [markdown]
# The largest ratio, over the components, of the gap between the mean of our runs and the ODE to the
# paper's value is {glue:text}`floor_ratio_erf` for erf and {glue:text}`floor_ratio_relu` for ReLU; for
# single runs it is {glue:text}`run_ratio_erf` and {glue:text}`run_ratio_relu`. A single run wanders about
# the mean by $O(N^{-1/2})$, most where the dynamics are steep: runs that cross a transition at slightly
# different times differ there by much more than on a plateau (with the ReLU initial condition above and a
# longer run, $v_0$ is the component where this shows first). The paper draws its SGD curves as the mean
# of its ten runs, so the mean-of-runs gap is the like-for-like number; with fewer runs, as here, it can
# only come out larger, since its fluctuating part falls like one over the square root of the number of
# runs. Where ours is several times smaller than the paper's, the paper's floor holds more than the
# finite-size noise of SGD. Its text does not let us say what (it does mention discarding initial
# conditions on which Gaussian SGD and its ODE differed markedly, section IV of 001); the convention table
# above shows that neither the constant-$\tilde T$ teacher term nor the Euler step accounts for it. The
# later chapters ({doc}`04_mixture_dynamics`, {doc}`06_universality`) measure non-Gaussian inputs against
# *our* Gaussian floor.
#
# ## Convergence as $N$ grows
#
# The ODE is exact only in the limit. For one run, the order parameters fluctuate about their mean by
# $O(N^{-1/2})$ (a sum of $N t$ random steps of size $O(\eta/N)$ each, in every direction), and the mean
# itself differs from the ODE by $O(1/N)$. The per-run tLog-RMSE should therefore fall like $N^{-1/2}$.
# We run {glue:text}`seeds` initial conditions per $N$ at $D/N=${glue:text}`ratio`, {glue:text}`conv_runs` runs
# each, and fit $\log(\text{gap}) = a_j + s\log N$ with one intercept $a_j$ per initial condition and a
# common slope $s$, by least squares; the slope's standard error comes from the residual scatter.

# %%
fits = study.convergence_fits(data)            # common-slope fit per activation and order parameter

# %% tags=["remove-input"]
display(Markdown(study.slope_table(fits)))

# %% tags=["remove-input"]
fig = figures.convergence_figure(data.convergence, fits)
style.savefig(fig, "ode_convergence")
glue("fig_convergence", fig, display=False)
slope_margin = ode_vs_sgd_checks.SLOPE_MARGIN            # the claim: slope below -0.3 (theory -0.5)
worst_se = max(fits[g]["all"].stderr for g in activations)
glue("seeds", f"{seeds}", display=False)
glue("conv_runs", f"{conv_runs}", display=False)
glue("ratio", f"{ratio:g}", display=False)
glue("conv_t_max", f"{conv_t_max:g}", display=False)
glue("worst_se", f"{worst_se:.2f}", display=False)
glue("se_distance", f"{(0.5 - slope_margin) / worst_se:.1f}", display=False)
for g in ["erf", "relu"]:
    glue(f"slope_{g}", f"{fits[g]['all'].slope:.2f} ± {fits[g]['all'].stderr:.2f}" if g in activations else "n/a",
         display=False)

# %% [markdown]
# ```{glue:figure} fig_convergence
# :name: fig-ode-convergence
#
# (no counterpart in the paper) Per-run tLog-RMSE between SGD and the ODE (component average) against $N$ at $D/N=${glue:text}`ratio`,
# runs to $t=${glue:text}`conv_t_max`. Faint points: each initial condition (mean over its runs); large
# markers: geometric mean over initial conditions; solid lines: the fitted power laws (common slope, mean
# intercept), slope ± standard error in the legend; dotted: $N^{-1/2}$.
# ```
#
# The fitted slopes (table and {numref}`fig-ode-convergence`; the last column fits the geometric mean of the three gaps) agree with the
# $-1/2$ of the theory within their standard errors. Fitting the geometric mean of the three gaps gives
# {glue:text}`slope_erf` for erf and {glue:text}`slope_relu` for ReLU.
#
# (checks-02b_ode)=
# ### Claims checked
#
# Each check is recorded with its verdict for the reproduction report, {doc}`99_report`; the rules live in
# `lib/studies/ode_vs_sgd_checks.py`.
#
# 1. **The floor.** At the comparison's configuration, every component of the tLog-RMSE between the mean
#    of the SGD runs and the ODE is not larger than the paper's $\alpha=0$ value (Tables I and II of 001).
#    The tolerance is the paper's own number; ours reaches {glue:text}`floor_ratio_max` of it at most.
# 2. **Convergence.** The gap shrinks with $N$: the slope fitted to the geometric mean of the $Q$, $R$,
#    $v$ gaps is below $-0.3$. The theory says $-1/2$; the largest standard error of the fit is
#    {glue:text}`worst_se`, so $-0.3$ lies {glue:text}`se_distance` standard errors above the theory, and a
#    correct ODE fails this check by chance with probability well below 1%. We also check that the
#    slope is *consistent* with $-1/2$ (within the $t$ quantile of a 3-sigma tail for the fit's degrees of freedom,
#    in standard errors; decided where that margin is below 0.25 in slope, and recorded, not asserted: with the
#    normal 3 it failed on one seed in 15), that each of the three gaps shrinks
#    (negative slope), and that the margin argument holds, $-1/2 + 3\,\text{s.e.} < -0.3$.
# 3. **Same start.** At $t=0$ the ODE's $Q$, $R$, $v$ equal the order parameters of the weights SGD starts
#    from to $10^{-10}$ (float64 rounding of a rotation is $\sim10^{-15}$); the SGD engine's own
#    float32 record of $t=0$ agrees to $10^{-5}$ (float32 rounding of sums of $N$ terms is
#    $\sim\sqrt N\,6\times10^{-8}\approx2\times10^{-6}$).
#    Its level is checked too, two-sided: our per-run tLog-RMSE must equal the paper's in every component
#    within 3 standard errors of our mean over runs. Recorded with its verdict, not asserted: where it fails,
#    claim 1 holds in shape (we agree at least as well as the paper) but not at the paper's level. It is compared
#    only in the tables' setting ($N = 1000$, $t_{\max} = 100$): the tLog-RMSE of a shorter run is another
#    quantity, so under the quick profile ($t_{\max} = 30$) it is not tested.
# 4. **Time step.** Euler's error (against RK4) is below 10% of the per-run SGD gap for every order
#    parameter: Euler's global error is $O(dt)$, measured above at a few percent.

# %%
book = claims.Registry("02b_ode", globals(), section="II")
checks = [check for g in activations
          for check in ode_vs_sgd_checks.activation_checks(g, floor_ratio[g], floors.level_z(g), fits[g]["all"].slope,
                                                           fits[g]["all"].stderr, {n: fits[g][n].slope for n in METRICS},
                                                           {"N": N, "t_max": t_max}, fits[g]["all"].dof)]
for check in checks + ode_vs_sgd_checks.start_checks(t0_ode, t0_sgd, euler_ratio):
    recorded = book.add(check)                        # every rule: lib/studies/ode_vs_sgd_checks.py
    assert recorded or not check.asserted, (check.id, check.measured)
    if not check.asserted:
        print(f"{check.id}: {recorded.verdict} (measured {check.measured})")
print("all ODE claims hold")
