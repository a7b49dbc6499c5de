"""One result cache for every expensive computation.

A result is stored under a key made of the function's name, its full parameters (frozen
dataclasses are expanded, the seed included) and the version of its numerics that the function declares
(``@cached(version=N)``), so a changed parameter never reuses a stale result, and a change of arithmetic,
which must bump the version (a golden test per cached function fails until it does), makes new keys; a
refactor that moves code or edits text keeps every result. Beside each result a small JSON record says
what produced it (parameters, version, module, device, wall time) and holds the SHA-256 of the result's file.

Results are stored as data, not code (:mod:`lib.core.store`): a ``<digest>.npz`` of the result's arrays and its
structure in JSON, read with pickles disabled, so that a result file can never run code. The paper bundles and
the stash keep the same file xz-compressed, ``<digest>.npz.xz`` (:func:`pack`), and the cache reads entries of
both forms; the SHA-256 in a record is always that of the ``.npz``. A ``.pkl`` left in a cache by older code is
not read (its result is computed again); ``scripts/convert_results_to_data.py`` converted the committed ones.

Integrity. Every file is written by :func:`atomic_write` (a temporary file of a unique name in the same
folder, flushed, fsynced, then renamed over the target), so a reader sees the old file or the complete new
one, never a part; the record is written before the result, both under a lock of the function's folder, so
a result on disk always has its complete record. When read, an entry is checked: its record must exist and
hash to its key (function, parameters, version), and the result must have the recorded SHA-256 and read as data.
An entry that fails is reported (:class:`IntegrityWarning`, naming its path), moved aside (``*.corrupt``)
and recomputed. A write that fails (a full disk) leaves no temporary file: the result is returned with a
warning, not kept. The same helpers write the paper bundles and the stash.

``HMM_NO_CACHE=1`` bypasses the cache (nothing read, nothing written); ``0`` or unset uses it, any other
value is refused. ``HMM_CACHE_DIR`` moves it.

Two hooks serve the paper-profile bundles (``lib.pipeline.bundle``): ``HMM_CACHE_TRACE=<file>`` appends the entry
(``folder/digest``) of every outermost cached call to that file, so a run can list the results a chapter
needs; ``read_only_source(folder)`` adds a folder of entries searched after the cache, and with
``strict=True`` a result found nowhere raises ``CacheMiss`` instead of being computed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
import lzma
import os
import platform
import secrets
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

from . import paths, store
from .store import RENAMED_MODULES, MissingClass  # noqa: F401  (re-exported: the cache's errors and renames)
from .validate import ParameterError

_depth = 0                               # nesting of cached calls in progress (0: the next call is outermost)
_sources: list[Path] = []                # read-only folders searched after the cache (bundles)
_strict = False                          # a miss everywhere raises CacheMiss


class CacheMiss(RuntimeError):
    """A result that must come from a bundle is in none of the cache folders."""


class IntegrityWarning(UserWarning):
    """A stored result (cache entry, stash entry, bundle file) could not be read, did not match its record, or
    could not be written. The message names the file."""


class CorruptEntry(Exception):
    """A cache entry that cannot be used; the message says why."""


def warn(message: str) -> None:
    """Report an integrity problem (:class:`IntegrityWarning`); the caller goes on without the file."""
    warnings.warn(message, IntegrityWarning, stacklevel=3)


def one_line_warnings() -> None:
    """Show integrity warnings as one line ``warning: <message>`` (the command-line tools call this)."""
    original = warnings.formatwarning

    def formatwarning(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, IntegrityWarning):
            return f"warning: {message}\n"
        return original(message, category, filename, lineno, line)

    warnings.formatwarning = formatwarning


def no_cache() -> bool:
    """``HMM_NO_CACHE``: unset, empty or ``0`` uses the cache, ``1`` bypasses it; anything else is refused."""
    value = os.environ.get("HMM_NO_CACHE", "")
    if value not in ("", "0", "1"):
        raise ParameterError(f"HMM_NO_CACHE={value!r} must be 0 (use the cache) or 1 (bypass it: nothing read, "
                             "nothing written)")
    return value == "1"


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


# ------------------------------------------------------------------------------------------ safe files
TMP_SUFFIX = ".tmp"
SUFFIX = store.SUFFIX                    # a cache entry's result: <digest>.npz
PACKED_SUFFIX = SUFFIX + ".xz"           # the same, xz-compressed, in bundles and the stash: <digest>.npz.xz
XZ_PRESET = 6


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def temporary_name(path: Path) -> Path:
    """A name beside ``path`` that no other writer uses: ``<name>.<pid>.<random>.tmp``."""
    path = Path(path)
    return path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_SUFFIX}")


def _writer_alive(tmp: Path) -> bool:
    """Whether the process that made temporary file ``tmp`` (its pid is in the name) still runs."""
    if os.name != "posix":                                  # os.kill(pid, 0) is no probe elsewhere
        return True
    try:
        pid = int(tmp.name[:-len(TMP_SUFFIX)].split(".")[-2])
    except (ValueError, IndexError):
        return True                                         # not one of ours: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass
    return True


def sweep_stale(folder: Path) -> None:
    """Remove the temporary files and folders in ``folder`` left by writers that were killed."""
    try:
        leftovers = [p for p in Path(folder).iterdir() if p.name.endswith(TMP_SUFFIX)]
    except OSError:
        return
    for p in leftovers:
        if not _writer_alive(p):
            with contextlib.suppress(OSError):
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], Any]) -> Any:
    """Write ``path`` so that it holds either its old content or the complete new one.

    ``data``: bytes, or a function that writes to the open binary file (its return value is returned). The
    bytes go to a temporary file of a unique name in the same folder (:func:`temporary_name`), are flushed and
    fsynced, and ``os.replace`` moves it onto ``path``. On any failure (a full disk, an exception raised by
    ``data``, Ctrl-C) the temporary file is removed and the error raised again; temporary files of killed
    writers in the folder are removed first."""
    path = Path(path)
    sweep_stale(path.parent)
    tmp = temporary_name(path)
    try:
        with open(tmp, "xb") as fh:
            out = data(fh) if callable(data) else fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return out


@contextlib.contextmanager
def folder_lock(folder: Path, exclusive: bool = True):
    """Hold an advisory lock (``flock``) on ``folder``: exclusive for writers, shared for readers, so that a
    reader never sees one writer's record beside another writer's result. A no-op where locks are not
    available."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)                                        # releases the lock


# ------------------------------------------------------------------------------------------ entries
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


def record_matches(record: Any, digest: str) -> bool:
    """Whether a JSON record (function, params, version) is the record of the key ``digest``."""
    try:
        return key_of(record["function"], record["params"], record["version"])[0] == digest
    except (KeyError, TypeError):
        return False


def pack(payload: bytes) -> bytes:
    """A result's ``.npz`` bytes xz-compressed, as bundles and the stash keep them (deterministic: equal bytes in,
    equal bytes out)."""
    return lzma.compress(payload, preset=XZ_PRESET)


def find_entry(folder: Path, digest: str) -> Path | None:
    """The result file of entry ``digest`` in ``folder``: ``<digest>.npz`` or ``<digest>.npz.xz``; None if neither."""
    return next((p for p in (Path(folder) / f"{digest}{SUFFIX}", Path(folder) / f"{digest}{PACKED_SUFFIX}")
                 if p.exists()), None)


def entry_digest(result_path: Path) -> str:
    """The key of the entry whose result file is ``result_path`` (its name less ``.npz`` or ``.npz.xz``)."""
    name = Path(result_path).name
    for suffix in (PACKED_SUFFIX, SUFFIX):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    raise ValueError(f"{result_path} is not a result file (*{SUFFIX} or *{PACKED_SUFFIX})")


def record_path(result_path: Path) -> Path:
    """The JSON record beside the result file ``result_path``."""
    return Path(result_path).with_name(f"{entry_digest(result_path)}.json")


def check_entry(result_path: Path) -> tuple[dict, bytes]:
    """(record, ``.npz`` bytes) of the entry ``<folder>/<digest>.npz`` (or ``.npz.xz``, decompressed), checked:
    its record exists, is the record of its key, and the bytes have the SHA-256 it records (records older than
    the checksum have none). Raises :class:`CorruptEntry` saying what is wrong."""
    result_path = Path(result_path)
    digest = entry_digest(result_path)
    try:
        record = json.loads(record_path(result_path).read_text())
    except FileNotFoundError:
        raise CorruptEntry("has no JSON record beside it") from None
    except (OSError, ValueError) as err:
        raise CorruptEntry(f"has an unreadable JSON record ({type(err).__name__}: {err})") from None
    if not record_matches(record, digest):
        raise CorruptEntry(f"has a record that is not its key's (function {record.get('function')!r}, "
                           f"version {record.get('version')!r}, other parameters)" if isinstance(record, dict)
                           else "has a record that is not its key's")
    try:
        payload = result_path.read_bytes()
    except OSError as err:
        raise CorruptEntry(f"cannot be read ({err})") from None
    if result_path.name.endswith(PACKED_SUFFIX):
        try:
            payload = lzma.decompress(payload)
        except (lzma.LZMAError, EOFError) as err:
            raise CorruptEntry(f"does not decompress ({type(err).__name__}: {err})") from None
    if record.get("sha256") not in (None, sha256(payload)):
        raise CorruptEntry("does not match the SHA-256 in its record (altered or truncated)")
    return record, payload


def load_entry(result_path: Path) -> Any:
    """The result of entry ``result_path`` (checked by :func:`check_entry`, read under the folder's shared lock,
    decoded by :func:`lib.core.store.loads`: no pickle is read); :class:`CorruptEntry` if it cannot be used. A
    result holding a dataclass this code does not define raises :class:`MissingClass` naming the file (the file
    is intact: the code must say where the class went, in ``RENAMED_MODULES``)."""
    with folder_lock(Path(result_path).parent, exclusive=False):
        _, payload = check_entry(result_path)
    try:
        return store.loads(payload)
    except MissingClass as err:
        raise MissingClass(f"cache entry {result_path} holds {err}; if the class moved, add its new module to "
                           "lib.core.store.RENAMED_MODULES") from None
    except store.Refused as err:                            # truncated or garbage bytes, or not data
        raise CorruptEntry(f"cannot be read as data ({err})") from None


def write_entry(folder: Path, digest: str, record: dict, payload: bytes) -> dict:
    """Store ``payload`` (a result's ``.npz`` bytes, :func:`lib.core.store.dumps`) with its ``record`` as cache
    entry ``folder/digest``: the record, with the payload's SHA-256 added, then the result, each by
    :func:`atomic_write`, under the folder's exclusive lock. Returns the record written. On failure
    (``OSError``) nothing new is left but possibly the record, which is removed when there is no result beside
    it."""
    folder = Path(folder)
    record = {**record, "sha256": sha256(payload)}
    folder.mkdir(parents=True, exist_ok=True)
    record_file, result_path = folder / f"{digest}.json", folder / f"{digest}{SUFFIX}"
    with folder_lock(folder):
        try:
            atomic_write(record_file, json.dumps(record, indent=1).encode())
            atomic_write(result_path, payload)
        except BaseException:
            if not result_path.exists():
                with contextlib.suppress(OSError):
                    record_file.unlink()
            raise
    return record


def set_aside(result_path: Path, reason: str, move: bool = True) -> None:
    """Report a corrupt cache entry and, with ``move``, rename its files ``*.corrupt`` (kept for inspection,
    out of the cache's way)."""
    result_path = Path(result_path)
    if not move:
        warn(f"cache entry {result_path} {reason}: skipped")
        return
    with folder_lock(result_path.parent):
        for p in (result_path, record_path(result_path)):
            with contextlib.suppress(OSError):
                os.replace(p, p.with_name(p.name + ".corrupt"))
    warn(f"cache entry {result_path} {reason}: moved aside to {result_path.name}.corrupt and recomputed")


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
            bypass = no_cache()
            cache_root = paths.cache_dir()
            if use_cache and not bypass:
                for root in [cache_root, *_sources]:
                    found = find_entry(root / func.__name__, digest)
                    if found is not None:
                        try:
                            return load_entry(found)
                        except CorruptEntry as err:
                            set_aside(found, str(err), move=root == cache_root)
            if _strict:
                raise CacheMiss(f"{name} with these parameters is not in the paper bundle "
                                f"({', '.join(map(str, _sources))}); the bundle is incomplete: rerun "
                                "`python -m lib paper` or delete that folder to compute instead")
            _depth += 1
            start = time.perf_counter()
            try:
                result = func(*bound.args, **bound.kwargs)
            finally:
                _depth -= 1
            if bypass:
                return result
            record.update(module=func.__module__, wall_s=round(time.perf_counter() - start, 3),
                          created=time.strftime("%Y-%m-%dT%H:%M:%S"), host=platform.node(), device=_device_name())
            folder = cache_root / func.__name__
            try:
                write_entry(folder, digest, record, store.dumps(result))
            except (OSError, store.Unstorable) as err:
                warn(f"cache entry {folder / digest}{SUFFIX} could not be written ({err}); the result is used "
                     "but not kept")
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
    from .machine import cpu_model

    return f"{os.cpu_count()}-core {cpu_model()} CPU"
