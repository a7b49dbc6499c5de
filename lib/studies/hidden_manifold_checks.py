"""The claim checks of Section II's first chapter (notebooks/02_hidden_manifold.py), decided from its numbers.

Every function takes plain numbers (what the chapter measured) and returns one
:class:`lib.measures.verdicts.Check`, so that a test can feed a rule values outside its band and see it fail;
:func:`checks` gathers them in the order the chapter records them. All of them are the chapter's own numbers
(``asserted``): the Gaussian equivalence property is the premise of every later chapter.

- **a, b, c**: adaptive quadrature against the closed forms, to :data:`ABC_TOLERANCE`.
- **Monte Carlo against exact**: the largest entry-wise gap below ``mc_tolerance``, 5 standard errors of a
  sampled covariance entry (``lib.studies.hidden_manifold.mc_tolerance``).
- **Finite-size gap**: the fitted power law's slope below :data:`GEP_SLOPE` (the theory says -1/2 or faster; the
  slack covers a fit over few repeats), and the gap at the largest N below the one at the smallest.
- **Cumulants**: every preactivation's skewness and excess kurtosis within :data:`CUMULANT_SE` standard errors
  of 0.
"""
from __future__ import annotations

import numpy as np

from ..measures.verdicts import Check

ABC_TOLERANCE = 1e-8     # quadrature against the closed forms of a, b, c
GEP_SLOPE = -0.4         # the finite-size gap's fitted slope in log N must be below this (theory: -1/2 or faster)
CUMULANT_SE = 5          # skewness and excess kurtosis within this many standard errors of 0


def abc(abc_error: float) -> Check:
    """Quadrature reproduces the closed forms of a, b, c (``abc_error``: the largest difference)."""
    return Check("II.abc", abc_error < ABC_TOLERANCE, measured=abc_error, tolerance="< 1e-8",
                 asserted=True, statement="Quadrature reproduces the closed forms of a, b, c.")


def mc_exact(mc_gap, mc_tolerance: float) -> Check:
    """The Monte Carlo covariance matches the exact finite-N one: every entry of ``mc_gap`` (one per N) below
    ``mc_tolerance`` (5 standard errors of a sampled covariance entry)."""
    largest = np.max(mc_gap)
    return Check("II.mc-exact", largest < mc_tolerance, measured=largest, asserted=True,
                 tolerance=f"< {mc_tolerance:.2g} (5 standard errors)",
                 statement="The Monte Carlo covariance of the preactivations matches the exact finite-N one.")


def gep_slope(slope: float) -> Check:
    """The finite-size gap of the property shrinks like N^-1/2 or faster: fitted slope below :data:`GEP_SLOPE`."""
    return Check("II.gep-slope", slope < GEP_SLOPE, measured=slope, tolerance=f"fitted slope < {GEP_SLOPE:g}",
                 paper_claim="GEP", asserted=True,
                 statement="The finite-size gap of the Gaussian-equivalence covariance shrinks like N^-1/2 or faster.")


def gep_shrinks(gep_gap) -> Check:
    """The gap at the largest N (``gep_gap[-1]``) is below the gap at the smallest (``gep_gap[0]``)."""
    return Check("II.gep-shrinks", gep_gap[-1] < gep_gap[0], measured=gep_gap[-1] / gep_gap[0], paper_claim="GEP",
                 tolerance="ratio largest-N / smallest-N gap < 1", asserted=True,
                 statement="The gap at the largest N is below the gap at the smallest N.")


def skewness(skew, se_skew: float) -> Check:
    """Every preactivation's skewness (``skew``, any shape) within :data:`CUMULANT_SE` standard errors of 0."""
    skew = np.asarray(skew)
    return Check("II.skewness", bool(np.all(np.abs(skew) < CUMULANT_SE * se_skew)), measured=np.abs(skew).max(),
                 paper_claim="GEP", tolerance=f"< {CUMULANT_SE * se_skew:.2g} ({CUMULANT_SE} standard errors)",
                 asserted=True, statement="Every preactivation has zero skewness (Gaussian).")


def kurtosis(exkurt, se_kurt: float) -> Check:
    """Every preactivation's excess kurtosis within :data:`CUMULANT_SE` standard errors of 0."""
    exkurt = np.asarray(exkurt)
    return Check("II.kurtosis", bool(np.all(np.abs(exkurt) < CUMULANT_SE * se_kurt)), measured=np.abs(exkurt).max(),
                 paper_claim="GEP", tolerance=f"< {CUMULANT_SE * se_kurt:.2g} ({CUMULANT_SE} standard errors)",
                 asserted=True, statement="Every preactivation has zero excess kurtosis (Gaussian).")


def checks(abc_error: float, mc_gap, mc_tolerance: float, slope: float, gep_gap, skew, se_skew: float, exkurt,
           se_kurt: float) -> list[Check]:
    """Every check of the chapter, in the order it records them."""
    return [abc(abc_error), mc_exact(mc_gap, mc_tolerance), gep_slope(slope), gep_shrinks(gep_gap),
            skewness(skew, se_skew), kurtosis(exkurt, se_kurt)]
