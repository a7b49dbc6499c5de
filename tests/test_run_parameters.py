"""Parameters that reach the engines: ``-p`` values of the runner read and checked with the parameter's name
(issue 20, item 7), bounds that stop garbage or endless runs (item 11), and the divergence message naming its
likely cause (item 10)."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import lib
from lib.bench import record
from lib.core import paths
from lib.core.inputs import POISSON_RATE_MAX, PARETO_SHAPE_MIN, make_distribution
from lib.core.model import Model, init_weights
from lib.core.ode import ODEState, integrate_ode
from lib.core.validate import ParameterError
from lib.pipeline import run


# ----------------------------------------------------------------------------------- 7. -p values
@pytest.mark.parametrize("name, text, default, expected", [
    ("lr", "1e-3", 0.2, 0.001),                     # a string to YAML 1.1, a number here
    ("lr", "2", 0.2, 2.0),
    ("N", "2000", 1000, 2000),
    ("N", "1e3", 1000, 1000),
    ("activations", "erf", ["relu", "erf"], ["erf"]),          # a scalar where the default is a list
    ("N_values", "500", [250, 500], [500]),
    ("alphas", "[0, 2.5, 1e1]", [0, 3, 6], [0, 2.5, 10]),
    ("standardize", "true", [False, True], [True]),
    ("f", "no", "sgn", "no"),                       # YAML 1.1 reads False: the text is kept for a string
    ("laws", "[[gaussian, {}]]", [["gmm", {"alpha": 1}]], [["gaussian", {}]]),
    ("cross", "false", False, False),
])
def test_values_are_read_as_the_default_type(name, text, default, expected):
    value = run.parse_value(name, text, default)
    assert value == expected and type(value) is type(expected)
    if isinstance(expected, list):
        assert [type(v) for v in value] == [type(v) for v in expected]


@pytest.mark.parametrize("name, text, default, message", [
    ("N_values", "[1,2", [250, 500], r"^N_values='\[1,2' is not valid YAML: expected ',' or ']'"),
    ("lr", "fast", 0.2, r"^lr='fast' must be a number \(the default is 0.2\)"),
    ("N", "2.5", 1000, r"^N=2.5 must be an integer"),
    ("N", "true", 1000, r"^N=True must be an integer"),
    ("ms", "[2, x]", [2, 3], r"^ms\[1\]='x' must be a number"),
    ("cross", "3", False, r"^cross=3 must be true or false"),
    ("laws", "gaussian", [["gmm", {}]], r"^laws\[0\]='gaussian' must be a list"),
    ("f", "[sgn]", "sgn", r"^f=\['sgn'\] must be a string"),
])
def test_bad_values_stop_with_the_parameter_named(name, text, default, message):
    with pytest.raises(ParameterError, match=message):
        run.parse_value(name, text, default)


def test_runner_injects_checked_values(monkeypatch, tmp_path):
    seen = {}

    def fake_execute_notebook(src, dst, parameters, **kw):
        seen.update(parameters)
        raise SystemExit

    import papermill
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute_notebook)
    with pytest.raises(SystemExit):
        run.main(["04_mixture_dynamics", "-p", "lr", "1e-3", "-p", "activations", "erf", "-p", "N", "2e3",
                  "--out", str(tmp_path)])
    assert seen["lr"] == 0.001 and seen["activations"] == ["erf"] and seen["N"] == 2000 and type(seen["N"]) is int
    seen.clear()
    with pytest.raises(SystemExit):                 # the Python API checks the same way
        run.execute("04_mixture_dynamics", "quick", {"ms": 3, "alphas": (0, 9)}, out_dir=tmp_path)
    assert seen["ms"] == [3] and seen["alphas"] == [0, 9]


def test_command_line_errors_are_one_line(capsys, tmp_path):
    assert run.main(["04_mixture_dynamics", "-p", "standardize", "3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "standardize[0]=3" in err
    res = subprocess.run([sys.executable, "-m", "lib", "run", "notebooks/02_hidden_manifold", "-p", "N_values", "[1,2"],
                         cwd=paths.ROOT, capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.strip().count("\n") == 0 and "N_values='[1,2'" in res.stderr


# ----------------------------------------------------------------------------------- 11. bounds
@pytest.mark.parametrize("args, word", [(["--runs", "0"], "--runs"), (["--steps", "0"], "--steps"),
                                        (["--block", "-3"], "--block"), (["--threads", "0"], "--threads")])
def test_bench_refuses_empty_runs_in_one_line(capsys, args, word):
    assert record.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err and "Traceback" not in err
    with pytest.raises(ParameterError, match="steps"):
        record.run_benchmark("tiny", ode=False, scaling=False, cuda=False, steps=0)


def _state():
    model = Model(N=14, D=6, K=2, M=2, g="erf")
    return ODEState.from_weights(model, init_weights(model, runs=1, seed=0))


@pytest.mark.parametrize("kwargs, message", [({"t_max": 1.0, "dt": 1e-9}, "dt=1e-09 must be >= 1e-06"),
                                             ({"t_max": 1e3, "dt": 1e-6}, "more than 1e\\+08")])
def test_ode_refuses_steps_that_would_run_for_ever(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        integrate_ode(_state(), 0.2, **kwargs)
    assert len(integrate_ode(_state(), 0.2, 1.0, dt=0.01).t) >= 2               # an ordinary dt still runs


@pytest.mark.parametrize("dist, params, name", [("poisson", {"rate": 1e30}, "rate"), ("poisson", {"rate": 1e13}, "rate"),
                                                ("pareto", {"shape": 1e-3}, "shape"), ("pareto", {"shape": 0.2}, "shape")])
def test_samplers_refuse_parameters_where_they_break(dist, params, name):
    with pytest.raises(ParameterError, match=rf"^{name}="):
        make_distribution(dist, 5, **params)


def test_samplers_are_sound_at_their_bounds():
    """At the bounds the draws are still draws of the law: Poisson counts with the right mean and spread in
    float32, Pareto draws all finite and >= 1 in float32; beyond them they are not (what the bounds stop)."""
    gen = torch.Generator().manual_seed(0)
    x = make_distribution("poisson", 200, rate=POISSON_RATE_MAX).sample(100, gen).double()
    assert torch.isfinite(x).all() and (x >= 0).all()
    z = (x - POISSON_RATE_MAX) / POISSON_RATE_MAX ** 0.5
    assert abs(float(z.mean())) < 0.05 and 0.9 < float(z.std()) < 1.1
    y = make_distribution("pareto", 200, shape=PARETO_SHAPE_MIN).sample(20_000, gen)
    assert torch.isfinite(y).all() and (y >= 1).all()
    assert float(torch.poisson(torch.full((1000,), 1e20)).min()) < 0            # garbage past the int64 range
    extreme = torch.tensor([2.0 ** -24]).pow(-1.0 / 0.15)                         # the largest draw, shape 0.15
    assert not torch.isfinite(extreme).all()


# ----------------------------------------------------------------------------------- 10. divergence
def test_divergence_names_heavy_tailed_inputs_or_the_learning_rate():
    model = lib.Model(N=100, D=50, K=2, M=2, g="relu", f="sgn", lr=0.2)
    with pytest.raises(RuntimeError, match=r"heavy-tailed \(infinite variance\)") as err:
        lib.simulate_sgd(model, make_distribution("lorentz", 50), runs=2, t_max=50, progress=False, test_samples=0)
    assert "'lorentz'" in str(err.value) and "lower lr" not in str(err.value)
    fast = lib.Model(N=100, D=50, K=2, M=2, g="relu", f="sgn", lr=20.0)
    with pytest.raises(RuntimeError, match="learning rate too large .*lr = 20.0.*lower lr") as err:
        lib.simulate_sgd(fast, make_distribution("gaussian", 50), runs=1, t_max=5, progress=False, test_samples=0)
    assert "infinite variance" not in str(err.value).split("lower lr")[0]
