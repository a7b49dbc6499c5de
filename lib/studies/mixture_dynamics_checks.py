"""The claim checks of the Section IV chapter (notebooks/04_mixture_dynamics.py), decided from its numbers.

:func:`checks` turns one activation's :class:`~lib.studies.mixture_dynamics_numbers.ClaimStats` into the list of
:class:`~lib.measures.verdicts.Check` the chapter records, so that every rule (threshold, power, the verdict a
failure gives) lives here, where a test can feed it numbers outside its band. The chapter explains each rule;
the thresholds in short:

- z-scores are (M - floor) / s.e. with the pooled Gaussian run-to-run scatter (``versus_floor``); 4 standard
  errors keep a pure-noise excess below a few per mille per comparison (a t distribution with the pooled degrees
  of freedom), so a dozen comparisons per activation rarely flag noise;
- "at the Gaussian level" (claims 4 and 4b; the later version's small-alpha statement in
  :mod:`lib.studies.small_spreads`) is decided two-sided (:func:`near_floor`): the excess over the floor must be
  below half the floor (:data:`SMALL_EXCESS`) with a 2 s.e. upper bound, on a floor of 50+ runs, to pass, and
  above it by 4 s.e. to fail; in between the run cannot tell, and the check is not tested;
- the standardised grid must reach a divergence of :data:`FAR_NATS` nats, at which one latent vector tells the
  law from the Gaussian by a log-likelihood ratio of 10 on average, so "no gap even far from the Gaussian" is
  tested where the law is far.
"""
from __future__ import annotations

import numpy as np

from ..measures.compare import METRICS
from ..measures.verdicts import CONTRADICTED, NOT_REPRODUCED, Check
from .mixture_dynamics_numbers import (LEVEL_OFF_PAIRS, NEAR_FLOOR_RULE, SMALL_EXCESS, Z_SIGNIFICANT, ClaimStats,
                                       near_floor, z_for)

PAPER_SMALLEST = 1.0       # the paper's smallest spread: below it, see lib.studies.small_spreads
FAR_NATS = 10.0            # divergence (nats) at which a standardised law counts as far from the Gaussian


def checks(s: ClaimStats, g: str) -> list[Check]:
    """Every check of the chapter for activation ``g``, in the order the chapter records them."""
    out = []
    for name in METRICS:
        fl, spread = s.floor[name], s.spread[name]
        out.append(Check(f"IV.gaussian.{g}.{name}", fl < 2 * spread, measured=fl / spread, paper_claim="1",
                         tolerance="M(alpha=0) / run-to-run spread < 2", asserted=True,
                         statement=f"Gaussian inputs ({g}): the ODE tracks SGD within the finite-N noise "
                                   f"({name}; M / scale = {s.floor_scale[name]:.3f})."))
    for name, z in s.z_raw.items():
        far = s.raw_alphas >= PAPER_SMALLEST if s.raw_alphas is not None else np.arange(z.shape[1]) > 0
        out.append(Check(f"IV.unstd-above.{g}.{name}", bool(np.all(z[:, far] > Z_SIGNIFICANT)),
                         measured=float(z[:, far].min()), paper_claim="2", asserted=True,
                         tolerance=f"every alpha >= {PAPER_SMALLEST:g} of the grid (the paper's spreads): "
                                   "(M - floor) / s.e. > 4",
                         statement=f"Unstandardised ({g}): SGD leaves the ODE at every alpha > 0 ({name})."))
        if name in s.grows:
            up, se_up, dof = s.grows[name]
            q = z_for(dof)
            t = up / se_up if se_up > 0 else float("inf") * np.sign(up)
            out.append(Check(f"IV.unstd-grows.{g}.{name}", t > q, measured=[float(t), q, dof + 1],
                             paper_claim="2", tested=abs(t) > q, on_fail=CONTRADICTED,
                             tolerance="over the (m, mixture) pairs: mean of M(largest alpha) - M(smallest alpha > 0) "
                                       "above 0 by the t quantile of a 4-sigma tail (pairs - 1 degrees of freedom) "
                                       "times its standard error between mixtures; below 0 by as much contradicts; "
                                       "otherwise not tested (measured: [t, quantile, pairs])",
                             statement=f"Unstandardised ({g}): over the drawn mixtures, the gap grows from the "
                                       f"smallest to the largest alpha > 0 ({name}; it saturates for some mixtures)."))
    for name, lo in s.level_off.items():       # the first version: the gaps level off as KL grows
        out.append(Check(f"IV.unstd-levels-off.{g}.{name}", lo.levels_off, paper_claim="2b", tested=lo.tested,
                         on_fail=CONTRADICTED if lo.accelerates else NOT_REPRODUCED,
                         measured=f"{lo.slower} of {lo.pairs} (p = {lo.p_value:.1e})",
                         tolerance="most (m, mixture) pairs grow less over the upper half of the main grid's "
                                   "alphas > 0 than over the lower half, two-sided sign test p < 0.01 "
                                   f"({LEVEL_OFF_PAIRS}+ pairs)",
                         statement=f"Unstandardised ({g}): the gap in {name} levels off as alpha, and with it KL, "
                                   f"grows."))
    if s.z_raw:
        out.append(Check(f"IV.unstd-kl.{g}", bool(np.all(s.kl_steps > 0)), measured=float(s.kl_steps.min()),
                         paper_claim="2", asserted=True, tolerance="exact KL increases at every alpha step, every m",
                         statement=f"Unstandardised ({g}): along each m the exact KL divergence grows with alpha "
                                   f"at every step, so the gap's growth with alpha is a growth with KL."))
        gr, vl = s.v_growth, s.v_late
        out.append(Check(f"IV.unstd-v-time.{g}", bool(gr > 1 and vl[-1] > 4 * vl[0]), measured=[gr, vl[-1] / vl[0]],
                         paper_claim="2", asserted=True,
                         tolerance="growth (last / first quarter) > 1 and late gap > 4 x alpha=0",
                         statement=f"Unstandardised ({g}): the gap in v grows with time."))
    far = s.kl_max is None or s.kl_max > FAR_NATS
    for name, (e, se) in s.std_excess.items():   # claim 4: at the Gaussian level, decided two-sided
        verdict = near_floor(e, se, s.floor_runs)
        if verdict is True and not far:          # a grid of near-Gaussian draws cannot show it far from the Gaussian
            verdict = None
        out.append(Check(f"IV.std-floor.{g}.{name}", verdict is True, measured=[float(s.z_std[name].max()),
                                                                              s.std_ratio_max[name], se],
                         paper_claim="4", tested=verdict is not None,
                         tolerance="every (alpha > 0, m): " + NEAR_FLOOR_RULE
                                   + " (measured: [largest (M - floor) / s.e., largest M / floor, s.e. / floor])",
                         statement=f"Standardised coordinate-wise mixtures ({g}): the gap stays at the Gaussian "
                                   f"level for every alpha and m ({name})."))
    if s.kl_max is not None:
        out.append(Check(f"IV.std-far.{g}", far, measured=s.kl_max, paper_claim="4", tested=far,
                         tolerance=f"largest exact KL of the standardised grid > {FAR_NATS:g} nats; a grid whose "
                                   "draws all lie nearer the Gaussian cannot test claim 4 far from it (not tested; "
                                   "claim 4 then cannot pass either)",
                         statement=f"Standardised ({g}): the grid reaches laws far from the Gaussian (one latent "
                                   f"vector tells them apart by a log-likelihood ratio above {FAR_NATS:g})."))
    for name, (e, se) in s.shared_excess.items():   # the paper's conclusion for its own mixture read literally
        verdict = near_floor(e, se, s.floor_runs)
        out.append(Check(f"IV.shared-gap.{g}.{name}", verdict is True, measured=[s.z_shared[name], s.shared_ratio[name]],
                         paper_claim="4b", on_fail=CONTRADICTED, tested=verdict is not None,
                         tolerance=NEAR_FLOOR_RULE + " (measured: [(M - floor) / s.e., M / floor])",
                         statement=f"Standardised shared-label mixture ({g}, alpha = {s.shared_alpha:g}): the gap "
                                   f"to the ODE stays at the Gaussian level ({name})."))
    travel = s.travel
    out.append(Check(f"IV.moved.{g}", min(travel.values()) > 10, measured=[min(travel.values()), s.eg_drop],
                     asserted=True, tolerance="ODE movement / floor > 10 for Q, R and v (measured: [smallest ratio, "
                                              "eg(t_max) / eg(0) of the ODE])",
                     statement=f"The comparison window is not vacuous ({g}): within t_max the ODE's order "
                               f"parameters move many times the Gaussian floor."))
    return out
