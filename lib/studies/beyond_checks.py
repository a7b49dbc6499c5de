"""The checks of chapter 09_beyond ("Beyond the paper"), decided from the chapter's numbers.

Every function takes what the chapter measured and returns one :class:`lib.measures.verdicts.Check`, so that a test
can feed a rule values outside its band and see the failing verdict; :func:`checks` gathers the chapter's checks in
the order it records them. None of them is a claim of the paper (``paper_claim`` None) and none is asserted: each
records what the chapter measured, with its verdict, and "not tested" where the run lacks the power to decide.

The rules and the power each needs:

- **The floor's exponent**: the 95 % interval of the Gaussian floor's exponent in N contains
  :data:`FLOOR_EXPONENT` (finite-size fluctuations); decided where the interval is narrower than
  :data:`FLOOR_WIDTH`.
- **Finite-size scaling**, per law: the relative excess over the floor vanishes at least as fast as the floor (its
  verdict by :func:`lib.studies.beyond.scaling_verdict` is one of :data:`VANISHES`); decided for a law at the floor
  where two standard errors of its excess are below :data:`FLOOR_SE` at every N, for a fitted law where the
  exponent's 95 % interval is narrower than :data:`FIT_WIDTH`.
- **The map of shape**: no law of a group above the family-wise margin; decided where every margin of the group is
  below :data:`MAP_MARGIN` (the map could see an excess of half the floor).
- **A folding function with a != 0**: the ODE with the a-term is as good as the exact ODE for the odd control
  (the bootstrap interval of the ratio to the control below :data:`FOLD_BAND`); without the term it is worse (the
  interval above it); an interval that straddles it, or fewer than :data:`FOLD_MIN_RUNS` runs, is not tested. (A
  one-sided "lower bound at most 1" passed on a wide interval: missing evidence counted as agreement.)
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..measures.verdicts import Check
from .beyond import VERDICTS, PowerFit

FLOOR_EXPONENT = -0.5   # the floor's exponent in N predicted by finite-size fluctuations
FLOOR_WIDTH = 0.5       # the floor's exponent is decided where its 95 % interval is narrower than this
FIT_WIDTH = 1.0         # a law's excess exponent is decided where its 95 % interval is narrower than this
FLOOR_SE = 0.25         # a law at the floor is decided where 2 s.e. of its excess stay below this at every N
MAP_MARGIN = 0.5        # the map decides where every margin (in units of the floor) is below this
FOLD_MIN_RUNS = 10      # the folding study decides with at least this many runs (6 flipped between seeds)
MIN_SIZES = 4           # a scaling exponent is decided on at least this many sizes N ...
MIN_SPAN = 8.0          # ... spanning at least this factor (3 sizes over a factor 4 flipped between seeds)
FOLD_BAND = 1.5         # "as well as the control": within half again its gap (the book's "at the Gaussian level")
VANISHES = ("floor", "faster", "same")        # scaling verdicts under which the excess vanishes with the floor
FITTED = ("faster", "same", "slower")         # scaling verdicts read from the fitted exponent


def floor_exponent(g: str, fit: PowerFit) -> Check:
    """The Gaussian floor falls like N^(-1/2): :data:`FLOOR_EXPONENT` inside the 95 % interval of ``fit``'s
    exponent (:func:`lib.studies.beyond.floor_fit`); not tested where the interval is :data:`FLOOR_WIDTH` or wider."""
    return Check(f"beyond.floor-exponent-{g}", fit.lo <= FLOOR_EXPONENT <= fit.hi,
                 measured=f"{fit.beta:.3f} +- {fit.se:.3f}",
                 tolerance="95 % interval of the floor's exponent contains -1/2", aspect="level",
                 tested=bool(fit.hi - fit.lo < FLOOR_WIDTH),
                 statement=f"The Gaussian floor falls like N^(-1/2) (g = {g}).")


def scaling(g: str, label: str, verdict: str, fit: PowerFit, se: Sequence[float]) -> Check:
    """The excess of law ``label`` over the floor vanishes at least as fast as the floor: its ``verdict`` (a key of
    :data:`lib.studies.beyond.VERDICTS`) is one of :data:`VANISHES`. ``fit``: the power fit of its relative excess;
    ``se``: the excess's standard error at each N. Not tested without the power rule's support (module docstring);
    'undecided' and 'diverged' are never tested."""
    power = (verdict == "floor" and max(2 * s for s in se) < FLOOR_SE) or \
        (verdict in FITTED and fit.hi - fit.lo < FIT_WIDTH)
    return Check(f"beyond.scaling-{g}-{label}", verdict in VANISHES, aspect="shape",
                 measured=f"{VERDICTS[verdict]}; " + (f"exponent {fit.beta:.2f} [{fit.lo:.2f}, {fit.hi:.2f}]"
                                                      if np.isfinite(fit.beta) else "no exponent fitted"),
                 tolerance="relative-excess exponent: 95 % interval not above 0, or no excess above 2 s.e.",
                 tested=bool(power),
                 statement=f"The excess of {label} over the Gaussian floor vanishes at least as fast as the "
                           f"floor (g = {g}).")


def map_group(key: str, what: str, group: Sequence[str], departs: Sequence[str], margin: Mapping[str, float],
              t_fw: float, level: float, N: int, g: str) -> Check:
    """Every map law of ``group`` follows the ODE within the family-wise margin: none is in ``departs``; not tested
    unless every margin (``margin``: label -> margin in units of the floor) is below :data:`MAP_MARGIN`."""
    above = [k for k in group if k in departs]
    return Check(f"beyond.{key}", not above, aspect="statement",
                 measured=f"above the margin: {', '.join(above) or 'none'} of {len(group)}",
                 tolerance=f"excess / floor < t_fw s.e. (t_fw = {t_fw:.2f}, level {level:g} over the map)",
                 tested=bool(max(margin[k] for k in group) < MAP_MARGIN),
                 statement=f"Every map law {what} follows the ODE within the floor margin (N = {N}, g = {g}).")


def _versus_band(ratio: Mapping[str, float], runs: int) -> tuple[bool, bool, str, bool]:
    """Where the bootstrap interval ``ratio`` (value, lo, hi) lies against :data:`FOLD_BAND`: (inside: below it,
    outside: above it, the measured text, decided: one of the two with at least :data:`FOLD_MIN_RUNS` runs)."""
    inside, outside = ratio["hi"] <= FOLD_BAND, ratio["lo"] > FOLD_BAND
    measured = f"ratio to the control {ratio['value']:.2f} [{ratio['lo']:.2f}, {ratio['hi']:.2f}]"
    return inside, outside, measured, runs >= FOLD_MIN_RUNS and (inside or outside)


def fold_with_a(g: str, N: int, ratio: Mapping[str, float], level: float, runs: int, fold: str,
                control: str) -> Check:
    """With a folding of mean a != 0 the ODE with the a-term describes SGD as well as the exact ODE describes the
    odd control, decided two-sided on ``ratio`` (value, lo, hi: the bootstrap interval of the ratio to the control):
    within :data:`FOLD_BAND` if the upper bound is below it, outside if the lower bound is above it, otherwise not
    tested (as are runs below :data:`FOLD_MIN_RUNS`)."""
    inside, _, measured, decided = _versus_band(ratio, runs)
    return Check(f"beyond.fold-with-a-{g}-{N}", inside, aspect="level", measured=measured, tested=decided,
                 tolerance=f"bootstrap interval (level {level:g}) below {FOLD_BAND:g}; above it fails; "
                           "straddling it is not tested",
                 statement=f"With f = {fold} (a != 0) the ODE with the a-term describes SGD as well as the exact ODE "
                           f"describes f = {control} (g = {g}, N = {N}; within {FOLD_BAND:g} times).")


def fold_without_a(g: str, N: int, ratio: Mapping[str, float], level: float, runs: int, fold: str) -> Check:
    """Without the a-term the ODE misses SGD beyond the control: the bootstrap interval of ``ratio`` above
    :data:`FOLD_BAND`; below it fails, straddling it is not tested."""
    _, outside, measured, decided = _versus_band(ratio, runs)
    return Check(f"beyond.fold-no-a-{g}-{N}", outside, aspect="level", measured=measured, tested=decided,
                 tolerance=f"bootstrap interval (level {level:g}) above {FOLD_BAND:g}; below it fails; straddling "
                           "it is not tested",
                 statement=f"With f = {fold} the ODE without the a-term misses SGD beyond the control (g = {g}, "
                           f"N = {N}; by more than {FOLD_BAND:g} times).")


def sizes_decide(sizes: Sequence[float] | None) -> bool:
    """Whether a grid of sizes N can decide an exponent: :data:`MIN_SIZES` sizes or more spanning :data:`MIN_SPAN`
    (None: assumed). A property of the design, not of the draw: over seeds 1-20 of the quick profile (3 sizes,
    100 to 400) the interval-width rules alone passed on some seeds and not on others."""
    if sizes is None:
        return True
    n = np.asarray(sorted(sizes), float)
    return n.size >= MIN_SIZES and n[-1] / n[0] >= MIN_SPAN


def _gated(check: Check, ok: bool) -> Check:
    from dataclasses import replace

    return check if ok else replace(check, tested=False, tolerance=check.tolerance + f"; needs {MIN_SIZES}+ sizes "
                                    f"spanning a factor {MIN_SPAN:g} (this run: fewer: not tested at this scale)")


def checks(results: Mapping, activations: Sequence[str], *, level: float, map_N: int, map_activation: str,
           fold: str, fold_control: str, fold_runs: int, scaling_Ns: Sequence[float] | None = None) -> list[Check]:
    """Every check of the chapter, in the order it records them, from :meth:`lib.studies.beyond.Beyond.compute`'s
    ``results`` ('scaling', 'map', 'fold') and the chapter's parameters (``scaling_Ns``: the sizes of the scaling
    study, for :func:`sizes_decide`)."""
    out = []
    ok = sizes_decide(scaling_Ns)
    for g in activations:
        s = results["scaling"][g]
        out.append(_gated(floor_exponent(g, s["floor_fit"]), ok))
        for label, verdict in s["verdict"].items():
            out.append(_gated(scaling(g, label, verdict, s["fit"][label], [p.se for p in s["excess"][label]]), ok))
    m = results["map"]
    finite = [law.label for law in m["laws"] if np.isfinite(law.moments()["exkurt"])]
    heavy = [law.label for law in m["laws"] if not np.isfinite(law.moments()["exkurt"])]
    for key, group, what in (("map-fourth-moment", finite, "with a fourth moment"),
                             ("map-heavy-tail", heavy, "without a fourth moment (Student t, nu <= 4)")):
        if group:
            out.append(map_group(key, what, group, m["departs"], m["margin"], m["t_fw"], level, map_N,
                                 map_activation))
    for (g, N), t in results["fold"].items():
        out.append(fold_with_a(g, N, t["with"], level, fold_runs, fold, fold_control))
        out.append(fold_without_a(g, N, t["no"], level, fold_runs, fold))
    return out
