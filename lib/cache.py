"""One result cache for every expensive computation.

A result is stored under a key made of the function's name, its full parameters (frozen
dataclasses are expanded), the seed, and a hash of the source of the function's module and of
every library module it imports (transitively), so a changed parameter or a changed line of
code that can reach the result never reuses a stale one. Beside each result a
small JSON record says what produced it (parameters, code hash, device, wall time).

Set ``HMM_NO_CACHE=1`` to bypass the cache; ``HMM_CACHE_DIR`` moves it.

Two hooks serve the paper-profile bundles (``lib.bundle``): ``HMM_CACHE_TRACE=<file>`` appends the entry
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


def _lib_imports(module: str) -> set[str]:
    """Names of the lib modules that ``lib.<module>`` imports (relative or absolute), by parsing it."""
    import ast

    path = paths.LIB / f"{module}.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 or base.startswith("lib"):
                base = base.removeprefix("lib").lstrip(".")
                if base:
                    found.add(base.split(".")[0])
                else:  # from . import x, y
                    found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("lib."))
    return {m for m in found if (paths.LIB / f"{m}.py").exists()}


@functools.lru_cache(maxsize=None)
def code_hash(module: str | None = None) -> str:
    """SHA-256 of the source of ``lib.<module>`` and every lib module it imports, transitively.

    ``None`` hashes the whole library. A result depends only on the code that can reach it, so
    editing a plotting helper does not invalidate simulations.
    """
    if module is None:
        todo = sorted(p.stem for p in paths.LIB.glob("*.py"))
    else:
        todo, seen = [module], set()
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(_lib_imports(m) - seen)
        todo = sorted(seen)
    h = hashlib.sha256()
    for m in todo:
        h.update(m.encode())
        h.update((paths.LIB / f"{m}.py").read_bytes())
    return h.hexdigest()[:16]


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


def key_of(name: str, params: dict, module: str | None = None) -> tuple[str, dict]:
    """Cache key and record of a call of ``name`` with ``params``, code of ``lib.<module>`` included."""
    record = {"function": name, "params": _jsonable(params), "code": code_hash(module)}
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:24]
    return digest, record


def cached(func: Callable) -> Callable:
    """Decorator: cache ``func(*args, **kwargs)`` on disk by its bound arguments and the code.

    Arguments must be JSON-describable (numbers, strings, frozen dataclasses, lists, arrays).
    Pass ``use_cache=False`` to recompute (the fresh result still overwrites the cache entry).
    Keyword ``progress`` is not part of the key.
    """
    sig = inspect.signature(func)
    name = f"{func.__module__}.{func.__qualname__}"
    module = func.__module__.removeprefix("lib.") if func.__module__.startswith("lib.") else None

    @functools.wraps(func)
    def wrapper(*args, use_cache: bool = True, **kwargs):
        global _depth
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        params = {k: v for k, v in bound.arguments.items() if k not in ("progress",)}
        digest, record = key_of(name, params, module)
        _trace(f"{func.__name__}/{digest}")
        enabled = use_cache and os.environ.get("HMM_NO_CACHE", "") in ("", "0")
        if enabled:
            for root in [paths.cache_dir(), *_sources]:
                found = root / func.__name__ / f"{digest}.pkl"
                if found.exists():
                    with open(found, "rb") as fh:
                        return pickle.load(fh)
        if _strict:
            raise CacheMiss(f"{name} with these parameters is not in the paper bundle ({', '.join(map(str, _sources))}); "
                            "the bundle is incomplete: rerun `make paper` or delete that folder to compute instead")
        folder = paths.cache_dir() / func.__name__
        result_path, record_path = folder / f"{digest}.pkl", folder / f"{digest}.json"
        _depth += 1
        start = time.perf_counter()
        try:
            result = func(*bound.args, **bound.kwargs)
        finally:
            _depth -= 1
        record.update(wall_s=round(time.perf_counter() - start, 3), created=time.strftime("%Y-%m-%dT%H:%M:%S"),
                      host=platform.node(), device=_device_name())
        folder.mkdir(parents=True, exist_ok=True)
        tmp = result_path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, result_path)
        record_path.write_text(json.dumps(record, indent=1))
        return result

    wrapper.cache_name = name
    return wrapper


def _device_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # pragma: no cover - torch import problems are reported elsewhere
        pass
    return f"cpu ({platform.processor() or platform.machine()})"
