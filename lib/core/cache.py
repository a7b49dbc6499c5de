"""One result cache for every expensive computation.

A result is stored under a key made of the function's name, its full parameters (frozen
dataclasses are expanded, the seed included) and the version of its numerics that the function declares
(``@cached(version=N)``), so a changed parameter never reuses a stale result, and a change of arithmetic,
which must bump the version (a golden test per cached function fails until it does), makes new keys; a
refactor that moves code or edits text keeps every result. Beside each result a small JSON record says
what produced it (parameters, version, module, device, wall time).

Set ``HMM_NO_CACHE=1`` to bypass the cache; ``HMM_CACHE_DIR`` moves it.

Two hooks serve the paper-profile bundles (``lib.pipeline.bundle``): ``HMM_CACHE_TRACE=<file>`` appends the entry
(``folder/digest``) of every outermost cached call to that file, so a run can list the results a chapter
needs; ``read_only_source(folder)`` adds a folder of entries searched after the cache, and with
``strict=True`` a result found nowhere raises ``CacheMiss`` instead of being computed.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import os
import pickle
import platform
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import paths

_depth = 0                               # nesting of cached calls in progress (0: the next call is outermost)
_sources: list[Path] = []                # read-only folders searched after the cache (bundles)
_strict = False                          # a miss everywhere raises CacheMiss


class CacheMiss(RuntimeError):
    """A result that must come from a bundle is in none of the cache folders."""


def read_only_source(folder: Path, strict: bool = False) -> None:
    """Also read cached results from ``folder`` (same layout as the cache); ``strict``: never compute."""
    global _strict
    if Path(folder) not in _sources:
        _sources.append(Path(folder))
    _strict = _strict or strict


def reset_sources() -> None:
    """Forget every read-only source and strict mode (tests, or a notebook switching back)."""
    global _strict
    _sources.clear()
    _strict = False


def _trace(entry: str) -> None:
    target = os.environ.get("HMM_CACHE_TRACE")
    if target and _depth == 0:
        with open(target, "a") as fh:
            fh.write(entry + "\n")


def _jsonable(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"__type__": type(x).__name__, **{k: _jsonable(v) for k, v in dataclasses.asdict(x).items()}}
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return {"__array__": hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()[:16],
                "shape": list(x.shape), "dtype": str(x.dtype)}
    if isinstance(x, (np.integer, np.floating)):
        return x.item()
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return repr(x)


REGISTRY: dict[str, Callable] = {}      # name -> cached function, for every @cached function imported


def key_of(name: str, params: dict, version: int) -> tuple[str, dict]:
    """Cache key and record of a call of the cached function ``name`` (numerics ``version``) with ``params``."""
    record = {"function": name, "params": _jsonable(params), "version": version}
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:24]
    return digest, record


def is_current(record: dict) -> bool:
    """The cached function behind ``record`` (a cache entry's JSON record) still computes what it computed:
    it is registered (its module imported) and declares the numerics version the record was made with."""
    func = REGISTRY.get(record.get("function", ""))
    return func is not None and func.version == record.get("version")


def cached(*, version: int) -> Callable[[Callable], Callable]:
    """Decorator: cache ``func(*args, **kwargs)`` on disk by its name, bound arguments and numerics version.

    ``version`` is the version of the function's numerics, bumped by hand whenever its output changes (the
    golden tests in ``tests/test_golden.py`` pin each cached function's output on a tiny input and fail
    until it is bumped). Editing text, moving code between modules or changing code that leaves the numbers
    alone keeps every cached result, bundle and stash entry valid.

    Arguments must be JSON-describable (numbers, strings, frozen dataclasses, lists, arrays).
    Pass ``use_cache=False`` to recompute (the fresh result still overwrites the cache entry).
    Keyword ``progress`` is not part of the key.
    """
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version={version!r} must be an integer >= 1")

    def decorate(func: Callable) -> Callable:
        sig = inspect.signature(func)
        name = func.__qualname__
        if name in REGISTRY and REGISTRY[name].__wrapped__.__module__ != func.__module__:
            raise ValueError(f"two cached functions are called {name!r} ({REGISTRY[name].__wrapped__.__module__}, "
                             f"{func.__module__}): the cache keys them by name")

        @functools.wraps(func)
        def wrapper(*args, use_cache: bool = True, **kwargs):
            global _depth
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            params = {k: v for k, v in bound.arguments.items() if k not in ("progress",)}
            digest, record = key_of(name, params, version)
            _trace(f"{func.__name__}/{digest}")
            enabled = use_cache and os.environ.get("HMM_NO_CACHE", "") in ("", "0")
            if enabled:
                for root in [paths.cache_dir(), *_sources]:
                    found = root / func.__name__ / f"{digest}.pkl"
                    if found.exists():
                        with open(found, "rb") as fh:
                            return pickle.load(fh)
            if _strict:
                raise CacheMiss(f"{name} with these parameters is not in the paper bundle "
                                f"({', '.join(map(str, _sources))}); the bundle is incomplete: rerun "
                                "`python -m lib paper` or delete that folder to compute instead")
            folder = paths.cache_dir() / func.__name__
            result_path, record_path = folder / f"{digest}.pkl", folder / f"{digest}.json"
            _depth += 1
            start = time.perf_counter()
            try:
                result = func(*bound.args, **bound.kwargs)
            finally:
                _depth -= 1
            record.update(module=func.__module__, wall_s=round(time.perf_counter() - start, 3),
                          created=time.strftime("%Y-%m-%dT%H:%M:%S"), host=platform.node(), device=_device_name())
            folder.mkdir(parents=True, exist_ok=True)
            tmp = result_path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, result_path)
            record_path.write_text(json.dumps(record, indent=1))
            return result

        wrapper.cache_name = name
        wrapper.version = version
        REGISTRY[name] = wrapper
        return wrapper

    return decorate


def _device_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # pragma: no cover - torch import problems are reported elsewhere
        pass
    return f"cpu ({platform.processor() or platform.machine()})"
