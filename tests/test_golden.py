"""Golden regression tests: the numbers of every ``@cached`` function of ``lib`` on a tiny, seeded input
(``tests/golden/cases.py``) against the summaries recorded in ``tests/golden/<name>.json``.

A failure means the function's numbers changed. If that is intended, bump the function's numerics version and
regenerate its golden file with ``python tests/golden/make_golden.py NAME``. float64 results are compared at
rtol 1e-9 / atol 1e-12; results computed in float32 (the leaves a case lists in ``Case.float32``, and arrays
stored as float32) at rtol 1e-5 / atol 1e-7.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def _load_cases():
    """tests/golden/cases.py by path (``tests`` is no package; a module name of its own avoids clashes)."""
    name = "golden_cases"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GOLDEN / "cases.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


cases = _load_cases()


def compare_summaries(case, expected, actual) -> list[str]:
    """Differences between two summaries of ``case``, one line each (empty: they agree)."""
    exp, act = cases.leaves(expected), cases.leaves(actual)
    problems = [f"{p}: in the golden file, not in the result" for p in exp if p not in act]
    problems += [f"{p}: in the result, not in the golden file" for p in act if p not in exp]
    for path in (p for p in exp if p in act):
        e, a = exp[path], act[path]
        numeric = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) or (
            isinstance(x, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x))
        if numeric(e) and numeric(a) and not path.endswith((".shape", ".dtype")):
            precision = case.precision(path, exp)
            try:
                np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(e, dtype=float),
                                           **cases.TOLERANCE[precision], err_msg=f"{path} ({precision})")
            except AssertionError as err:
                problems.append(str(err).strip())
        elif e != a:
            problems.append(f"{path}: golden {e!r}, now {a!r}")
    return problems


@pytest.mark.parametrize("name", list(cases.CASES))
def test_golden(name):
    case = cases.CASES[name]
    path = cases.golden_path(name)
    if not path.exists():
        pytest.fail(f"golden file {path.relative_to(GOLDEN.parent.parent)} is missing: generate it with "
                    f"`python tests/golden/make_golden.py {name}`", pytrace=False)
    golden = json.loads(path.read_text())
    assert golden["function"] == case.name
    problems = compare_summaries(case, golden["summary"], case())
    if problems:
        shown = "\n".join(problems[:20]) + (f"\n... and {len(problems) - 20} more" if len(problems) > 20 else "")
        pytest.fail(f"the numbers of {case.name} changed: if this is intended, bump its numerics version and "
                    f"regenerate the golden file (`python tests/golden/make_golden.py {name}`).\n{shown}",
                    pytrace=False)


def test_every_cached_function_has_a_case():
    """A new @cached function in lib needs a golden case (grep for the decorator, as a reader would)."""
    import re

    root = GOLDEN.parent.parent / "lib"
    found = set()
    for source in root.rglob("*.py"):
        found.update(re.findall(r"^@cached\b.*\n(?:@.*\n)*def (\w+)", source.read_text(), flags=re.M))
    assert found, "no @cached function found under lib/"
    missing = sorted(found - set(cases.CASES))
    assert not missing, f"@cached functions without a golden case in tests/golden/cases.py: {missing}"
