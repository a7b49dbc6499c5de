"""The Section IV checks (lib.studies.mixture_dynamics_checks) decide from numbers: fed values inside and
outside each band, each gives the verdict its rule states (a check cannot pass on numbers that disagree)."""
import dataclasses

import numpy as np
import pytest

from lib.measures.verdicts import CONTRADICTED, NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from lib.studies import mixture_dynamics_checks as iv
from lib.studies.mixture_dynamics_numbers import ClaimStats, LevelOff, near_floor

METRICS = ("Q", "R", "v")


def good() -> ClaimStats:
    """Numbers under which every check of the chapter passes."""
    return ClaimStats(
        floor={n: 1.0 for n in METRICS}, spread={n: 0.9 for n in METRICS}, floor_scale={n: 0.01 for n in METRICS},
        travel={n: 50.0 for n in METRICS}, eg_drop=0.3,
        z_raw={n: np.array([[0.0, 9.0, 12.0, 20.0]]) for n in METRICS}, raw_alphas=np.array([0.0, 1.0, 3.0, 9.0]),
        grows={n: (5.0, 0.5, 39) for n in METRICS},
        kl_steps=np.array([[1.0, 2.0, 3.0]]), v_growth=3.0, v_late=np.array([0.01, 0.1, 0.2, 0.3]),
        z_std={n: np.array([[0.0, 1.0, -0.5, 2.0]]) for n in METRICS}, std_ratio_max={n: 1.1 for n in METRICS},
        std_excess={n: (np.array([[0.1, -0.05, 0.15]]), 0.05) for n in METRICS},
        kl_max=200.0, z_shared={n: 1.0 for n in METRICS}, shared_ratio={n: 1.1 for n in METRICS},
        shared_excess={n: (0.1, 0.05) for n in METRICS}, shared_alpha=9.0, floor_runs=100,
        level_off={n: LevelOff(30, 40, 0.001) for n in ("Q", "v")})


def verdicts(s: ClaimStats) -> dict:
    return {c.id: c.verdict for c in iv.checks(s, "relu")}


def test_every_check_passes_inside_its_band():
    v = verdicts(good())
    assert set(v.values()) == {REPRODUCED}, v
    assert len(v) == 3 + 3 + 3 + 2 + 1 + 1 + 3 + 1 + 3 + 1


@pytest.mark.parametrize("change, check, verdict", [
    (dict(floor={"Q": 2.0, "R": 1.0, "v": 1.0}), "IV.gaussian.relu.Q", NOT_REPRODUCED),
    (dict(z_raw={n: np.array([[0.0, 3.9, 12.0, 20.0]]) for n in METRICS}), "IV.unstd-above.relu.R", NOT_REPRODUCED),
    (dict(z_raw={n: np.array([[0.0, 3.9, 12.0, 20.0]]) for n in METRICS}, raw_alphas=np.array([0, 0.5, 3, 9])),
     "IV.unstd-above.relu.R", REPRODUCED),                 # below the paper's smallest spread: chapter 04b's
    (dict(grows={n: (-3.0, 0.5, 39) for n in METRICS}), "IV.unstd-grows.relu.v", CONTRADICTED),
    (dict(grows={n: (1.9, 0.5, 39) for n in METRICS}), "IV.unstd-grows.relu.v", NOT_TESTED),
    (dict(grows={n: (5.0, 0.5, 1) for n in METRICS}), "IV.unstd-grows.relu.R", NOT_TESTED),   # 2 pairs: no power
    (dict(level_off={n: LevelOff(8, 40, 0.001) for n in ("Q", "v")}), "IV.unstd-levels-off.relu.Q", CONTRADICTED),
    (dict(level_off={n: LevelOff(22, 40, 0.6) for n in ("Q", "v")}), "IV.unstd-levels-off.relu.v", NOT_REPRODUCED),
    (dict(level_off={n: LevelOff(6, 6, 0.03) for n in ("Q", "v")}), "IV.unstd-levels-off.relu.v", NOT_TESTED),
    (dict(kl_steps=np.array([[1.0, -0.1, 3.0]])), "IV.unstd-kl.relu", NOT_REPRODUCED),
    (dict(v_growth=0.9), "IV.unstd-v-time.relu", NOT_REPRODUCED),
    (dict(v_late=np.array([0.1, 0.1, 0.2, 0.3])), "IV.unstd-v-time.relu", NOT_REPRODUCED),
    (dict(std_excess={n: (np.array([[0.1, 1.2, 0.15]]), 0.1) for n in METRICS}), "IV.std-floor.relu.Q", NOT_REPRODUCED),
    (dict(std_excess={n: (np.array([[0.1, 0.2, 0.15]]), 0.2) for n in METRICS}), "IV.std-floor.relu.Q", NOT_TESTED),
    (dict(floor_runs=6), "IV.std-floor.relu.Q", NOT_TESTED),             # the quick design: too few floor runs
    (dict(kl_max=9.0), "IV.std-far.relu", NOT_TESTED),       # seed 13's quick grid: every draw near-Gaussian
    (dict(kl_max=9.0), "IV.std-floor.relu.R", NOT_TESTED),    # ... so claim 4 cannot pass there
    (dict(kl_max=9.0, std_excess={n: (np.array([[0.1, 1.2, 0.15]]), 0.1) for n in METRICS}), "IV.std-floor.relu.v",
     NOT_REPRODUCED),                                        # but a resolved excess still fails it
    (dict(shared_excess={n: (2.5, 0.1) for n in METRICS}), "IV.shared-gap.relu.R", CONTRADICTED),
    (dict(shared_excess={n: (0.3, 0.1) for n in METRICS}), "IV.shared-gap.relu.R", NOT_TESTED),
    (dict(travel={"Q": 50.0, "R": 9.0, "v": 50.0}), "IV.moved.relu", NOT_REPRODUCED),
])
def test_a_value_outside_the_band_gives_the_failing_verdict(change, check, verdict):
    v = verdicts(dataclasses.replace(good(), **change))
    assert v[check] == verdict, (check, v[check])


def test_near_floor_is_two_sided():
    assert near_floor(0.1, 0.1, 100) is True                  # 0.1 + 2 x 0.1 < 0.5 on 100 floor runs
    assert near_floor(0.1, 0.1, 10) is None                   # the same numbers on 10 floor runs: too few to pass
    assert near_floor(0.1, 0.25, 100) is None                 # too coarse to call it small
    assert near_floor(np.array([0.1, 1.5]), 0.2, 100) is False   # one cell 1.5 - 0.8 > 0.5
    assert near_floor(np.array([0.1, 1.5]), 0.2, 3) is False     # a resolved excess fails whatever the design
    assert near_floor(0.9, 0.2, 100) is None                  # above half the floor, not by 4 s.e.
    assert near_floor(0.9, 0.2, 100, z_fail=1.5) is False     # the margins are the caller's (t quantiles)


def test_asserted_checks_are_the_chapters_own_numbers():
    by_id = {c.id: c for c in iv.checks(good(), "relu")}
    findings = {i for i, c in by_id.items() if not c.asserted}
    assert findings == {"IV.std-far.relu", "IV.unstd-grows.relu.Q", "IV.unstd-grows.relu.R", "IV.unstd-grows.relu.v",
                        "IV.unstd-levels-off.relu.Q", "IV.unstd-levels-off.relu.v", "IV.std-floor.relu.Q",
                        "IV.std-floor.relu.R", "IV.std-floor.relu.v",
                        "IV.shared-gap.relu.Q", "IV.shared-gap.relu.R", "IV.shared-gap.relu.v"}
