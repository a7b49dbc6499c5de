"""The rules of the ODE chapter's checks (lib.studies.ode_vs_sgd_checks): fed values inside each band every
check passes; fed values outside it, it gives the failing verdict it declares (a check cannot pass on numbers
that disagree)."""
import pytest

from lib.measures.verdicts import NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from lib.studies import ode_vs_sgd_checks as ode

SLOPES = {"Q": -0.45, "R": -0.55, "v": -0.5}


def good() -> dict:
    """Numbers of one activation under which all its checks pass."""
    return dict(floor_ratio=0.6, level_z=1.2, slope_all=-0.48, stderr_all=0.04, slopes=SLOPES)


def verdicts(g="erf", **change) -> dict:
    return {c.id: c.verdict for c in ode.activation_checks(g, **{**good(), **change})}


def test_every_check_passes_inside_its_band():
    v = verdicts()
    assert list(v) == ["ODE.floor-erf", "ODE.floor-level-erf", "ODE.slope-erf", "ODE.slope-theory-erf",
                       "ODE.shrinks-erf", "ODE.slope-power-erf"]
    assert set(v.values()) == {REPRODUCED}, v
    start = ode.start_checks(1e-15, 2e-6, 0.03)
    assert [c.id for c in start] == ["ODE.t0", "ODE.t0-sgd", "ODE.euler"]
    assert all(c.verdict == REPRODUCED for c in start)


@pytest.mark.parametrize("change, check", [
    (dict(floor_ratio=1.01), "ODE.floor-relu"),
    (dict(level_z=3.0), "ODE.floor-level-relu"),
    (dict(slope_all=-0.29, stderr_all=0.1), "ODE.slope-relu"),
    (dict(slope_all=-0.3), "ODE.slope-relu"),                         # strict: at -0.3 fails
    (dict(slope_all=-0.75, stderr_all=0.06), "ODE.slope-theory-relu"),   # too fast: 4.2 s.e. below -1/2
    (dict(slope_all=-0.32, stderr_all=0.05), "ODE.slope-theory-relu"),   # too slow: 3.6 s.e. above -1/2
    (dict(slopes={"Q": -0.4, "R": 0.01, "v": -0.5}), "ODE.shrinks-relu"),
    (dict(stderr_all=0.07), "ODE.slope-power-relu"),                  # -1/2 + 3 s.e. = -0.29: no power
])
def test_a_value_outside_the_band_gives_the_failing_verdict(change, check):
    assert verdicts("relu", **change)[check] == NOT_REPRODUCED


@pytest.mark.parametrize("args, check", [((1e-9, 2e-6, 0.03), "ODE.t0"), ((1e-15, 1e-5, 0.03), "ODE.t0-sgd"),
                                         ((1e-15, 2e-6, 0.1), "ODE.euler")])
def test_start_and_time_step_fail_outside_their_bands(args, check):
    assert {c.id: c.verdict for c in ode.start_checks(*args)}[check] == NOT_REPRODUCED


def test_measured_values_and_tolerances():
    assert ode.slope_theory("erf", -0.64, 0.04).measured == pytest.approx(3.5)
    assert ode.slope_theory("erf", -0.39, 0.04).passed                   # 2.75 s.e. above -1/2
    assert ode.slope("erf", -0.48, 0.041).tolerance == "fitted slope < -0.3 (s.e. 0.04)"
    assert ode.slope_power("erf", 0.066).passed and ode.slope_power("erf", 0.066).tolerance == "standard error < 0.067"
    assert ode.shrinks("erf", SLOPES).measured == -0.45
    assert ode.floor("erf", 1.0).passed                                 # the paper's own number is the bound
    assert "Table I " in ode.floor_level("erf", 1.0).statement and "Table II " in ode.floor_level("relu", 1.0).statement


def test_only_the_floor_level_and_the_theory_slope_are_recorded_findings():
    checks = ode.activation_checks("erf", **good()) + ode.start_checks(1e-15, 2e-6, 0.03)
    assert {c.id for c in checks if not c.asserted} == {"ODE.floor-level-erf", "ODE.slope-theory-erf"}
    level = next(c for c in checks if c.id == "ODE.floor-level-erf")
    assert level.aspect == "level" and level.paper_claim == "1"


def test_the_floor_level_is_compared_only_in_the_tables_setting():
    assert ode.floor_level("erf", 117.0, {"N": 1000, "t_max": 100.0}).verdict == NOT_REPRODUCED
    assert ode.floor_level("erf", 1.0, {"N": 1000, "t_max": 100.0}).verdict == REPRODUCED
    assert ode.floor_level("erf", 117.0, {"N": 1000, "t_max": 30.0}).verdict == NOT_TESTED     # the quick profile
    assert ode.floor_level("erf", 117.0, {"N": 500, "t_max": 100.0}).verdict == NOT_TESTED


def test_the_theory_slope_uses_the_t_quantile_and_a_resolution():
    assert ode.slope_theory("erf", -0.5 + 4.3 * 0.05, 0.05, dof=3).verdict == NOT_TESTED        # 9.2 x 0.05 > 0.25
    assert ode.slope_theory("erf", -0.5 + 4.3 * 0.02, 0.02, dof=3).verdict == REPRODUCED        # 4.3 < q(3 dof) = 9.2
    assert ode.slope_theory("erf", -0.5 + 4.3 * 0.02, 0.02, dof=200).verdict == NOT_REPRODUCED  # q ~ 3
    assert ode.slope_theory("erf", -0.52, 0.02, dof=200).verdict == REPRODUCED
    assert ode.slope_theory("erf", -0.52, 0.1, dof=200).verdict == NOT_TESTED                   # 3 x 0.1 > 0.25
