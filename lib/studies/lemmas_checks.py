"""The claim checks of Section V.1 (chapter 05_lemmas), decided from the chapter's numbers.

Every function takes plain numbers (what the chapter measured) and returns one
:class:`lib.measures.verdicts.Check`, so that a test can feed a rule values outside its band and see the failing
verdict; :func:`checks` gathers the chapter's checks in the order it records them. A check the chapter's own
numbers need is ``asserted``; the lemma as stated for one coordinate (:func:`one_coordinate`) is a finding about
the paper's statement, recorded with its verdict.

The rules in short:

- **Lemma II.1** (eq. S6): by Mehler's expansion the remainder after first order is
  ``sum_{n>=2} eps^n E[He_n u] E[He_n v] / n!`` and, by Cauchy-Schwarz, ``|E[He_n u] E[He_n v]| / n! <= 1`` for
  sgn, erf and ReLU, so ``|remainder / eps^2 - c2| <= eps / (1 - eps)`` at the smallest ``eps``: a bound, not a
  fitted band.
- **Lemma V.1**: the fitted order of the remainder in ``eps`` is 1 for eq. 21 alone (within
  :data:`ORDER1_BAND`) and at least :data:`ORDER2_MIN` with the per-pair first-order term.
- **Lemma V.3**: exact (quadrature) zero for odd ``f`` under symmetric laws (:data:`EXACT`), the excess kurtosis
  for ``x^4`` (:data:`QUARTIC_EXACT`); Monte Carlo comparisons at :data:`SE_LIMIT` standard errors.
- **Lorentz**: sample standardisation makes ``E[sgn x]`` vary over seeds by more than :data:`LORENTZ_SPREAD`
  (a finite-variance law standardised from 10^4 samples varies by about 0.01).

These checks carry the section of the paper they test where it is not the chapter's (Lemma II.1 is Section II's:
``Check.section``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..measures.verdicts import Check
from . import lemmas

ORDER1_BAND = 0.2        # |slope - 1| below this: a first-order remainder (Lemma V.1, eq. 21 alone)
ORDER2_MIN = 1.8         # slope above this: a second-order remainder (Lemma V.1 with the per-pair term)
REMAINDER_ZERO = 1e-12   # a remainder of eq. 21 below this is zero (an odd pair): it has no order to fit
EXACT = 1e-8             # quadrature gap of odd f under symmetric laws, which is exactly 0
QUARTIC_EXACT = 1e-6     # quadrature error of the x^4 gap against the excess kurtosis
LORENTZ_SPREAD = 0.2     # spread of E[sgn x] over sample standardisations of the Lorentz law
SE_LIMIT = 5.0           # Monte Carlo comparisons: within this many standard errors
PROJECTION_SHRINK = 5.0  # or the projected gap at least this many times below the one-coordinate gap
PROJECTION_LAWS = ("pareto", "gmm", "beta")   # laws of the projection checks, in the chapter's order


def lemma_ii1(u: str, v: str, remainder_over_eps2: float, c2: float, eps: float) -> Check:
    """Lemma II.1 for the pair (u, v): at the smallest ``eps`` the remainder after first order, divided by
    eps^2, is within the Mehler bound eps / (1 - eps) of c2 (asserted)."""
    deviation = abs(remainder_over_eps2 - c2)
    bound = eps / (1 - eps)
    return Check(f"V.1.lemma-II.1-{u}-{v}", deviation <= bound, measured=deviation,
                 tolerance=f"<= eps/(1-eps) = {bound:.2g}", paper_claim="5", section="II", asserted=True,
                 statement=f"Lemma II.1 for ({u}, {v}): the remainder after first order is c2 eps^2.")


def v1_order1(slopes: Sequence[float], last_remainders: Sequence[float]) -> Check:
    """Lemma V.1: eq. 21 alone leaves a first-order remainder; ``slopes`` and ``last_remainders`` (the remainder
    at the smallest eps) per pair; a pair whose remainder is zero (below :data:`REMAINDER_ZERO`) has no order and
    is left out; with no pair left there is nothing to show, which fails (asserted)."""
    kept = [s for s, r in zip(slopes, last_remainders) if abs(r) > REMAINDER_ZERO]
    return Check("V.1.lemma-V.1-order1", bool(kept) and all(abs(s - 1) < ORDER1_BAND for s in kept), paper_claim="5",
                 measured=max((abs(s - 1) for s in kept), default=0.0), tolerance=f"|slope - 1| < {ORDER1_BAND:g}",
                 asserted=True, statement="Lemma V.1: eq. 21 alone leaves a remainder of first order in eps.")


def v1_order2(slopes: Sequence[float]) -> Check:
    """Lemma V.1: with the per-pair first-order term the remainder is of second order, every pair's slope above
    :data:`ORDER2_MIN` (asserted)."""
    return Check("V.1.lemma-V.1-order2", all(s > ORDER2_MIN for s in slopes), measured=min(slopes),
                 tolerance=f"slope > {ORDER2_MIN:g}", paper_claim="5", asserted=True,
                 statement="Lemma V.1: with the per-pair first-order term the remainder is of second order.")


def v3_symmetric(gap: float) -> Check:
    """Lemma V.3 for odd f under symmetric laws: the largest quadrature gap is 0 (asserted)."""
    return Check("V.1.lemma-V.3-symmetric", gap < EXACT, measured=gap, tolerance="< 1e-8", paper_claim="5",
                 asserted=True,
                 statement="Lemma V.3 for odd f (sgn, erf) under symmetric standardised laws: E_P f = E_N f.")


def v3_quartic(error: float) -> Check:
    """Where Lemma V.3 must break: the x^4 gap equals the excess kurtosis (``error``: the largest difference,
    uniform and Laplace; asserted)."""
    return Check("V.1.lemma-V.3-quartic", error < QUARTIC_EXACT, measured=error, tolerance="< 1e-6",
                 asserted=True,
                 statement="Lemma V.3 fails for x^4 by exactly the excess kurtosis (uniform -6/5, Laplace +3).")


def lorentz_erratic(spread: float) -> Check:
    """Lorentz: the spread (max - min) of E[sgn x] over sample standardisations exceeds :data:`LORENTZ_SPREAD`
    (asserted)."""
    return Check("V.1.lorentz-erratic", spread > LORENTZ_SPREAD, measured=spread, tolerance=f"> {LORENTZ_SPREAD:g}",
                 asserted=True,
                 statement="Lorentz: E[sgn x] after sample standardisation varies from seed to seed.")


def one_coordinate(name: str, gap: float, se: float) -> Check:
    """The lemma as stated, for one standardised coordinate (D = 1): |gap of E[sgn]| below :data:`SE_LIMIT`
    standard errors. A finding about the paper's statement, recorded, not asserted. For the Gaussian mixture, a law
    drawn at random, ``gap`` and ``se`` are those of the most resolved of several draws
    (:func:`lib.studies.lemmas.mixture_draws`): one nearly symmetric draw cannot speak for mixtures."""
    return Check(f"V.1.lemma-V.3-one-coordinate-{name}", abs(gap) < SE_LIMIT * se, measured=gap, paper_claim="5",
                 tolerance=f"|E_P sgn - E_N sgn| < 5 s.e. = {SE_LIMIT * se:.2g} at D = 1"
                           + (" (the most resolved of several drawn mixtures)" if name == "gmm" else ""),
                 statement=f"Lemma V.3 for sgn holds for one standardised coordinate ({name}), without projection.")


def projection(name: str, gap_one: float, gap: float, se: float) -> Check:
    """After projection u = C.F/|F| (largest D): the sgn gap ``gap`` is within :data:`SE_LIMIT` standard errors
    ``se`` of 0, or :data:`PROJECTION_SHRINK` times below the one-coordinate gap ``gap_one`` (asserted)."""
    shrunk = abs(gap_one) / PROJECTION_SHRINK
    return Check(f"V.1.projection-{name}", abs(gap) < SE_LIMIT * se or abs(gap) < shrunk,
                 measured=abs(gap), asserted=True, paper_claim="5",
                 tolerance=f"< max(5 s.e. = {SE_LIMIT * se:.2g}, |gap at D=1|/5 = {shrunk:.2g})",
                 statement=f"Lemma V.3 for sgn holds after projection u = C.F/|F| ({name}, largest D), though not "
                           f"for one coordinate (our finding).")


def sample_means(f: str, key: str, z: float) -> Check:
    """The sample means of f(x) under the ``key`` law centre on the exact expectation: ``z`` (their mean's
    distance from it in standard errors) below :data:`SE_LIMIT` (asserted)."""
    return Check(f"V.1.sample-means-{f}-{key}", z < SE_LIMIT, measured=z, tolerance="< 5 standard errors",
                 asserted=True, statement=f"Sample means of {f}(x) ({key} law) centre on the exact expectation.")


def checks(ii1: Sequence[Mapping], v1: Sequence[Mapping], v1_slopes0: Sequence[float], v1_slopes1: Sequence[float],
           v3: Mapping, proj: Mapping[str, Mapping], sm: Mapping[str, Mapping]) -> list[Check]:
    """Every check of the chapter, in the order it records them, from the results of :mod:`lib.studies.lemmas`
    (``remainders``, ``v1_slopes``, ``v3_grid``, ``projections``, ``sample_mean_study``)."""
    out = [lemma_ii1(r["u"], r["v"], r["remainder_over_eps2"][-1], r["c2"], r["eps"][-1]) for r in ii1]
    out.append(v1_order1(v1_slopes0, [q["remainder0"][-1] for q in v1]))
    out.append(v1_order2(v1_slopes1))
    out.append(v3_symmetric(lemmas.symmetric_gap(v3)))
    out.append(v3_quartic(lemmas.quartic_error(v3)))
    out.append(lorentz_erratic(np.ptp(v3[("sgn", "lorentz")]["sampled"])))
    for name in PROJECTION_LAWS:
        g, se = proj[name]["gap"], proj[name]["se"]
        if "draws" in proj[name]:            # a drawn law: the draw whose gap is most resolved decides
            d = proj[name]["draws"]
            j = int(np.argmax(np.abs(d["gap"]) / d["se"]))
            out.append(one_coordinate(name, d["gap"][j], d["se"][j]))
        else:
            out.append(one_coordinate(name, g[0], se[0]))
        out.append(projection(name, g[0], g[-1], se[-1]))
    for f, r in sm.items():
        for key, ref in (("input", "exact_input"), ("gaussian", "exact_gaussian")):
            out.append(sample_means(f, key, lemmas.centre_z(r, key, ref)))
    return out
