"""The claim checks of the ODE chapter (notebooks/02b_ode.py), decided from its numbers.

Every function takes plain numbers (what the chapter measured) and returns one
:class:`lib.measures.verdicts.Check`, so that a test can feed a rule values outside its band and see it fail;
:func:`activation_checks` gathers one activation's checks and :func:`start_checks` the checks common to all, in
the order the chapter records them. The chapter's own numbers are ``asserted``; the paper's floor level is a
finding, recorded with its verdict.

- **The floor**: the largest ratio, over components, of our mean-of-runs tLog-RMSE to the paper's alpha = 0 value
  at most 1 (one-sided: we agree at least as well as the paper). Its level, two-sided: every component of our
  per-run gap within 3 standard errors of the paper's (recorded, not asserted; ``aspect="level"``).
- **Convergence**: the slope of the gap's power law in N below -:data:`SLOPE_MARGIN`; consistent with the theory's
  -1/2 within 3 standard errors; each of the Q, R, v slopes negative; and precise enough that -1/2 + 3 s.e. is
  below -:data:`SLOPE_MARGIN`.
- **Same start**: ODE(t = 0) equals the weights' order parameters to 1e-10, the SGD engine's float32 record to
  1e-5.
- **Time step**: Euler's difference from RK4 below 0.1 of the per-run SGD gap.
"""
from __future__ import annotations

from typing import Mapping

from ..measures.verdicts import Check

SLOPE_MARGIN = 0.3       # the gap's fitted slope must be below -SLOPE_MARGIN (theory: -1/2)
THEORY_SLOPE = -0.5      # the per-run gap falls like N^-1/2
THEORY_SE = 3.0          # the slope must be within this many standard errors of THEORY_SLOPE
THEORY_RESOLUTION = 0.25  # the margin (in slope) below which the fit can tell -1/2 from -1/4 or -3/4
LEVEL_SE = 3             # the floor's level: |ours - paper| within this many standard errors of ours
T0_ODE = 1e-10           # ODE(t = 0) against the weights' order parameters (float64 rounding of a rotation)
T0_SGD = 1e-5            # the SGD engine's float32 record at t = 0
EULER = 0.1              # Euler's difference from RK4, as a fraction of the per-run SGD gap


def floor(g: str, ratio: float) -> Check:
    """Our mean-of-runs gap is not larger than the paper's alpha = 0 floor (``ratio``: largest ours / paper)."""
    return Check(f"ODE.floor-{g}", ratio <= 1.0, measured=ratio, paper_claim="1", asserted=True,
                 tolerance="max over components of ours / paper <= 1",
                 statement=f"{g}: the tLog-RMSE between the mean of the SGD runs and the ODE under Gaussian "
                           "inputs is not larger than the paper's alpha = 0 floor in any component of Q, R, v.")


PAPER_SETTING = {"N": 1000, "t_max": 100.0}   # the setting of the paper's Tables I/II (N = 1000, t up to 100)


def floor_level(g: str, level_z: float, setting: Mapping[str, float] | None = None) -> Check:
    """The paper's floor level, two-sided (``level_z``: largest |ours per run - paper| / s.e. of ours); a finding.
    Compared only where the run has the tables' setting (``setting``: the run's N and t_max; None means it has):
    a shorter run's tLog-RMSE is another quantity (the quick profile runs t_max = 30), so there it is not tested."""
    same = setting is None or all(float(setting[k]) == v for k, v in PAPER_SETTING.items())
    return Check(f"ODE.floor-level-{g}", level_z < LEVEL_SE, measured=level_z, paper_claim="1", aspect="level",
                 tested=same,
                 tolerance="every component: |ours (per run) - paper| < 3 standard errors of ours, at the tables' "
                           "N = 1000 and t_max = 100 (another setting: not tested)",
                 statement=f"{g}: our alpha = 0 tLog-RMSE per run equals the paper's Table {'I' if g == 'erf' else 'II'} "
                           "floor within our run-to-run scatter, in every component.")


def slope(g: str, slope: float, stderr: float) -> Check:
    """The gap shrinks with N: the fitted slope (geometric mean of Q, R, v) below -:data:`SLOPE_MARGIN`."""
    return Check(f"ODE.slope-{g}", slope < -SLOPE_MARGIN, measured=slope, paper_claim="1", asserted=True,
                 tolerance=f"fitted slope < -{SLOPE_MARGIN} (s.e. {stderr:.2f})",
                 statement=f"{g}: the SGD-ODE gap shrinks with N at fixed D/N (geometric mean of Q, R, v).")


def slope_theory(g: str, slope: float, stderr: float, dof: int | None = None) -> Check:
    """The fitted slope is consistent with -1/2: within the t quantile (``dof``: the fit's degrees of freedom; None:
    the normal one) of a :data:`THEORY_SE`-sigma two-sided tail, in standard errors. Decided only where that margin
    is below :data:`THEORY_RESOLUTION` in slope (it can tell -1/2 from -1/4 or -3/4); a recorded finding. With the
    normal 3 in place of the t quantile the check failed on seed 14 (z = 4.3) and the z-scores of 15 seeds ran
    from 0.4 to 4.3: a residual standard error from few sizes is itself uncertain."""
    from scipy import stats

    q = float(stats.t.ppf(stats.norm.cdf(THEORY_SE), dof)) if dof else THEORY_SE
    z = abs(slope - THEORY_SLOPE) / stderr
    return Check(f"ODE.slope-theory-{g}", z < q, measured=z, tested=q * stderr < THEORY_RESOLUTION,
                 tolerance=f"|slope + 1/2| < {q:.1f} standard errors (t quantile of a 3-sigma tail, {dof} dof); "
                           f"decided where {q:.1f} s.e. < {THEORY_RESOLUTION:g}",
                 statement=f"{g}: the fitted slope of the gap is consistent with N^-1/2.")


def shrinks(g: str, slopes: Mapping[str, float]) -> Check:
    """Each of the Q, R, v gaps shrinks with N (``slopes``: component -> fitted slope)."""
    worst = max(slopes.values())
    return Check(f"ODE.shrinks-{g}", worst < 0.0, measured=worst, tolerance="largest of the Q, R, v slopes < 0",
                 asserted=True, statement=f"{g}: each of the Q, R and v gaps shrinks with N.")


def slope_power(g: str, stderr: float) -> Check:
    """The fit is precise enough: -1/2 + 3 s.e. below -:data:`SLOPE_MARGIN`."""
    return Check(f"ODE.slope-power-{g}", THEORY_SLOPE + THEORY_SE * stderr < -SLOPE_MARGIN, measured=stderr,
                 tolerance=f"standard error < {(-THEORY_SLOPE - SLOPE_MARGIN) / THEORY_SE:.3f}", asserted=True,
                 statement=f"{g}: the fit is precise enough that -{SLOPE_MARGIN} is 3 standard errors "
                           "above the theory's -1/2.")


def activation_checks(g: str, floor_ratio: float, level_z: float, slope_all: float, stderr_all: float,
                      slopes: Mapping[str, float], setting: Mapping[str, float] | None = None,
                      dof: int | None = None) -> list[Check]:
    """One activation's checks, in the order the chapter records them (``slope_all``, ``stderr_all``: the fit of
    the geometric mean of the Q, R, v gaps; ``slopes``: each component's fitted slope; ``setting``: the run's N and
    t_max, for :func:`floor_level`)."""
    return [floor(g, floor_ratio), floor_level(g, level_z, setting), slope(g, slope_all, stderr_all),
            slope_theory(g, slope_all, stderr_all, dof), shrinks(g, slopes), slope_power(g, stderr_all)]


def start_checks(t0_ode: float, t0_sgd: float, euler_ratio: float) -> list[Check]:
    """The same start (ODE and SGD record at t = 0) and the time step, after the activations' checks."""
    return [
        Check("ODE.t0", t0_ode < T0_ODE, measured=t0_ode, paper_claim="1", tolerance="< 1e-10", asserted=True,
              statement="At t = 0 the ODE's Q, R, v equal the order parameters of the weights SGD starts from."),
        Check("ODE.t0-sgd", t0_sgd < T0_SGD, measured=t0_sgd, tolerance="< 1e-5 (float32 rounding)", asserted=True,
              statement="The SGD engine's float32 record at t = 0 agrees with the same order parameters."),
        Check("ODE.euler", euler_ratio < EULER, measured=euler_ratio, tolerance="< 0.1 of the per-run SGD gap",
              asserted=True, statement="Forward Euler with dt = 0.01 is accurate: its difference from RK4 is small "
                                       "against the finite-size gap."),
    ]
