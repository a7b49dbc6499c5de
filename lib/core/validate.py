"""Parameter checks that fail early with one clear message naming the parameter.

Every public entry point validates its inputs with these helpers so that a bad value
(``N=-5``, ``f="foo"``) stops with a :class:`ParameterError` instead of a NaN or a
traceback from deep inside torch.
"""
from __future__ import annotations

import math
from typing import Any, Iterable


class ParameterError(ValueError):
    """A parameter is out of range or of the wrong kind. The message names it."""


def choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
    return value


def integer(name: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        isinstance(value, float) and value.is_integer()
    ):
        raise ParameterError(f"{name}={value!r} must be an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ParameterError(f"{name}={value} must be >= {minimum}")
    return value


def real(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False,
         minimum: float | None = None, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name}={value!r} must be a real number")
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"{name}={value} must be finite")
    if positive and value <= 0:
        raise ParameterError(f"{name}={value} must be > 0")
    if nonnegative and value < 0:
        raise ParameterError(f"{name}={value} must be >= 0")
    if minimum is not None and value < minimum:
        raise ParameterError(f"{name}={value} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"{name}={value} must be <= {maximum}")
    return value
