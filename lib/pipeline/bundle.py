"""Paper-profile bundles: the results of a chapter at the paper's scale, kept small enough to commit.

A bundle is made by running a chapter under the ``paper`` profile (``python -m lib paper``). While it runs,
the result cache lists every outermost cached call (``HMM_CACHE_TRACE``); those entries (summaries such as
trajectories of order parameters, never raw weights) are copied to ``results/paper/<chapter>/cache/``, each as
its JSON record and its result as data (``<digest>.npz.xz``: the cache's ``.npz`` of arrays and JSON,
xz-compressed to half its size; :mod:`lib.core.store`, read with pickles disabled), with a provenance record
``provenance.json``: the parameters, the seed, the git commit (and whether the code had uncommitted changes:
``python -m lib paper`` refuses to bundle from such a tree unless ``--allow-dirty``), the numerics version of
every entry's function, the machine, the torch device, the versions of python, numpy, torch and scipy, the wall
time, and the SHA-256 of every file of the bundle. A bundle is built in a temporary folder beside the old one and
swapped in only when complete.

When the book is built, a chapter whose ``results_from`` parameter is ``"auto"`` calls :func:`choose`: if its
bundle is *current* (the paper profile and the numerics version of every entry's function are what
they were when the bundle was made, and every file has its recorded checksum) the chapter takes the paper parameters and reads its results from the
bundle, computing nothing expensive; otherwise it runs with its own (quick) parameters and says so on the
page, with the reason (a file that does not match its checksum is named) and the command that regenerates
the bundle.

``HMM_BUNDLE_DIR`` moves the bundle folder (the tests use an empty one).
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

from ..core import cache, paths
from . import chapters
from .profiles import profile_parameters
from ..core.validate import ParameterError

RESULTS_FROM = ("auto", "compute")   # values of a chapter's ``results_from`` parameter
MAX_BYTES = 20_000_000          # a bundle larger than this is refused (it would bloat the repository)


def bundle_root() -> Path:
    return Path(os.environ.get("HMM_BUNDLE_DIR", paths.ROOT / "results" / "paper"))


def bundle_dir(notebook: str) -> Path:
    return bundle_root() / chapters.source_path(notebook).stem


def _machine() -> str:
    """The machine in words: the GPU, or the CPU model and its cores."""
    from ..core.machine import machine_info

    m = machine_info()
    return m["gpu"] or f"{m['cores']}-core {m['cpu_model']} CPU"


def _cached_file(entry: str, suffix: str | None = None) -> Path | None:
    """The file of cache entry ``entry`` (``function/digest``) with ``suffix`` (None: its result, ``.npz`` or
    ``.npz.xz``), in the cache or a read-only source, or None."""
    for root in [paths.cache_dir(), *cache._sources]:
        folder, digest = (root / entry).parent, (root / entry).name
        found = cache.find_entry(folder, digest) if suffix is None else folder / f"{digest}{suffix}"
        if found is not None and found.exists():
            return found
    return None


def code_changes() -> list[str] | None:
    """Tracked files with uncommitted changes, outside ``results/`` (what the runs write is not code); None
    without git."""
    import subprocess

    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"],
                             cwd=paths.ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode:
        return None
    return [line[3:].split(" -> ")[-1] for line in out.stdout.splitlines() if line.strip()]


def _library_versions() -> dict:
    from ..core.machine import machine_info

    m = machine_info()
    out = {k: m[k] for k in ("python", "numpy", "torch")}
    try:
        import scipy

        out["scipy"] = scipy.__version__
    except ImportError:                                     # pragma: no cover - scipy is a requirement
        pass
    return out


def _compute_device() -> str:
    """The torch device the library computes on here (``lib.core.device``): "cpu", "cuda" or "cuda:N"."""
    from ..core.device import default_device

    try:
        return str(default_device())
    except ParameterError as err:
        return f"unknown ({err})"


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of the bundle in ``folder`` but its provenance, by path relative to ``folder``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): cache.file_sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "provenance.json"}


def write(notebook: str, trace_file: Path, wall_s: float, profile: str = "paper", max_bytes: int = MAX_BYTES,
          pieces: list[str] = ()) -> Path:
    """Copy the cache entries listed in ``trace_file`` into the chapter's bundle; return its provenance path.

    ``pieces``: cache entries (``function/digest``) that the bundled results were built from but that the
    bundle need not hold, such as the engine batches behind a sweep that was (re)made from them in a later
    run than theirs. Their records (wall time, creation time, host) go to the provenance so that
    :func:`compute_seconds` counts their compute time; pieces not in the cache are left out.

    The new bundle is built in a temporary folder beside the old one (every file written atomically, the
    SHA-256 of each in the provenance) and swapped in only when complete: a failure or an interruption
    leaves the old bundle as it was."""
    stem = chapters.source_path(notebook).stem
    entries = sorted(set(Path(trace_file).read_text().split())) if Path(trace_file).exists() else []
    found = []
    for entry in entries:
        result = _cached_file(entry)
        if result is None:
            raise RuntimeError(f"{stem}: cache entry {entry} was used but is not on disk")
        found.append((entry, result))
    sizes = {entry: result.stat().st_size for entry, result in found}
    if sum(sizes.values()) > max_bytes:
        biggest = ", ".join(f"{e} ({s / 1e6:.1f} MB)" for e, s in sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
        raise RuntimeError(f"{stem}: the bundle would hold {sum(sizes.values()) / 1e6:.1f} MB, more than "
                           f"{max_bytes / 1e6:.0f} MB; largest entries: {biggest}")
    target = bundle_dir(stem)
    target.parent.mkdir(parents=True, exist_ok=True)
    cache.sweep_stale(target.parent)
    building = cache.temporary_name(target.with_name(f".{stem}"))
    try:
        codes, files = {}, {}
        for entry, result in found:
            try:
                record, payload = cache.check_entry(result)
            except cache.CorruptEntry as err:
                raise RuntimeError(f"{stem}: cache entry {result} {err}; delete it and rerun") from None
            for suffix, data in ((".json", cache.record_path(result).read_bytes()),
                                 (cache.PACKED_SUFFIX, cache.pack(payload))):
                rel = f"cache/{entry}{suffix}"
                (building / rel).parent.mkdir(parents=True, exist_ok=True)
                cache.atomic_write(building / rel, data)
                files[rel] = cache.sha256(data)
            codes[entry] = {k: record.get(k) for k in ("function", "module", "version")}
        piece_records = {}
        for piece in pieces:
            rec = _cached_file(piece, ".json")
            if rec is not None:
                r = json.loads(rec.read_text())
                piece_records[piece] = {k: r.get(k) for k in ("function", "module", "version", "wall_s", "created",
                                                              "host")}
        from ..core.machine import git_commit

        commit, _ = git_commit()
        changed = code_changes()
        provenance = {
            "notebook": stem, "profile": profile, "parameters": cache._jsonable(profile_parameters(profile, stem)),
            "seed": chapters.parameter_defaults(stem).get("seed"), "commit": commit,
            "uncommitted_changes": None if changed is None else bool(changed),
            "uncommitted_files": (changed or [])[:20],
            "entries": codes, "pieces": piece_records, "bytes": sum(sizes.values()),
            "device": _machine(), "compute_device": _compute_device(), "libraries": _library_versions(),
            "host": platform.node(), "wall_s": round(wall_s, 1), "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "files": dict(sorted(files.items())),
        }
        cache.atomic_write(building / "provenance.json", json.dumps(provenance, indent=1).encode())
        _swap_in(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target / "provenance.json"


def _swap_in(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` in the place of ``target`` (two renames: the old one aside, the new in)."""
    old = None
    if target.exists():
        old = cache.temporary_name(target.with_name(f".{target.name}.old"))
        os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        if old is not None and not target.exists():
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def compute_seconds(notebook: str) -> float:
    """Seconds the bundle's results took to compute, whenever they ran: the wall times recorded with its
    entries (each an outermost cached call) and with the pieces they were built from, a piece computed
    inside an entry's own run counted once (:func:`span_seconds`). The provenance's ``wall_s`` is only the
    final driver run, which is shorter when the chapter resumed from the cache."""
    folder = bundle_dir(chapters.source_path(notebook).stem)
    entries = [json.loads(f.read_text()) for f in (folder / "cache").glob("*/*.json")]
    prov = folder / "provenance.json"
    pieces = list(json.loads(prov.read_text()).get("pieces", {}).values()) if prov.exists() else []
    return span_seconds(pieces, outer=entries)


def compute_devices(notebook: str) -> list[str]:
    """The devices the bundle's results were computed on (recorded with each entry), most used first."""
    import collections

    folder = bundle_dir(chapters.source_path(notebook).stem) / "cache"
    counts = collections.Counter(json.loads(f.read_text()).get("device", "unknown") for f in folder.glob("*/*.json"))
    return [device for device, _ in counts.most_common()]


def span_seconds(records: list[dict], outer: list[dict] = ()) -> float:
    """Compute time behind cache ``records``: the sum of their wall times, except that a result computed
    inside another one (a cached call made by a cached call: same host, within its time span) is already
    part of its parent's time and is not counted again. ``outer``: results known not to lie inside one
    another (the outermost calls of one run), always counted, that may hold some of ``records``."""
    def span(r):
        end = time.mktime(time.strptime(r["created"], "%Y-%m-%dT%H:%M:%S"))
        return r.get("host", ""), end - r.get("wall_s", 0.0), end

    spans, parents = [span(r) for r in records], [span(r) for r in outer]
    slack = 1.0                                  # ``created`` has a resolution of one second
    total = sum(r.get("wall_s", 0.0) for r in outer)
    for i, (host, start, end) in enumerate(spans):
        holders = [p for j, p in enumerate(spans) if j != i] + parents
        if not any(h == host and s - slack <= start and end <= t + slack and (t - s) > (end - start)
                   for h, s, t in holders):
            total += records[i].get("wall_s", 0.0)
    return total


def load_cached_functions() -> None:
    """Import every module of the engine, measure and study layers, so that every cached function is in
    :data:`lib.core.cache.REGISTRY` and a record's version can be checked (:func:`lib.core.cache.is_current`)."""
    import importlib
    import pkgutil

    for layer in ("core", "measures", "studies"):
        package = importlib.import_module(f"lib.{layer}")
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"lib.{layer}.{info.name}")


def is_current(record: dict) -> bool:
    """The cached function behind ``record`` still declares the numerics version it was computed with. Only
    the function's own module is imported when the record names it (a bare machine without the plotting
    and notebook tools can check stash entries); otherwise every layer below the pipeline."""
    import importlib

    if record.get("function") not in cache.REGISTRY and record.get("module"):
        importlib.import_module(record["module"])
    if record.get("function") not in cache.REGISTRY:
        load_cached_functions()
    return cache.is_current(record)


def status(notebook: str, profile: str = "paper") -> tuple[bool, str, dict | None]:
    """(current, reason, provenance) of the chapter's bundle; ``reason`` says why it is not current.

    Current: the paper profile and the numerics version of every entry's function are what they were, and
    every file of the bundle has the SHA-256 its provenance records (a file altered, added or missing is
    named in the reason, and reported as an :class:`lib.core.cache.IntegrityWarning`)."""
    stem = chapters.source_path(notebook).stem
    folder = bundle_dir(stem)
    path = folder / "provenance.json"
    if not path.exists():
        return False, "no paper-profile bundle has been made for this chapter", None
    try:
        prov = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        cache.warn(f"bundle {path} cannot be read ({type(err).__name__}: {err})")
        return False, f"the bundle's provenance.json cannot be read ({type(err).__name__})", None
    if prov.get("parameters") != cache._jsonable(profile_parameters(profile, stem)):
        return False, "the paper profile of this chapter changed since its bundle was made", prov
    for entry, info in prov.get("entries", {}).items():
        if not is_current(info):
            return False, (f"the numerics of {info['function']} changed since the bundle was made (version "
                           f"{info.get('version')} in the bundle)"), prov
        if not (folder / "cache" / f"{entry}{cache.PACKED_SUFFIX}").exists():
            return False, f"the bundle lacks its entry {entry}", prov
    problem = integrity_problem(folder, prov)
    if problem:
        cache.warn(f"bundle {folder}: {problem}; the chapter computes its results instead")
        return False, problem, prov
    return True, "", prov


def integrity_problem(folder: Path, prov: dict) -> str:
    """Why the bundle's files do not match the checksums of its provenance ("" when they all do)."""
    files = prov.get("files")
    if not isinstance(files, dict) or not files:
        return "the bundle's provenance records no checksums of its files (it was made before they were kept)"
    for entry in prov.get("entries", {}):
        if f"cache/{entry}{cache.PACKED_SUFFIX}" not in files:
            return f"the bundle's entry {entry} has no checksum in its provenance"
    for rel, digest in files.items():
        f = folder / rel
        if not f.is_file():
            return f"the bundle's file {rel} is missing"
        if cache.file_sha256(f) != digest:
            return f"the bundle's file {rel} does not match the SHA-256 in its provenance.json (altered or corrupt)"
    extra = sorted(set(checksums(folder)) - set(files))
    if extra:
        return f"the bundle's file {extra[0]} is not listed in its provenance.json"
    return ""


@dataclasses.dataclass(frozen=True)
class Shown:
    """What a chapter shows: the paper bundle (``parameters`` to apply) or its own parameters."""

    notebook: str
    profile: str               # "paper" when the bundle is used, else "own"
    parameters: dict           # values that replace the notebook's (empty unless the bundle is used)
    reason: str = ""           # why the bundle is not used
    provenance: dict | None = None

    def note_html(self) -> str:
        cmd = f"python -m lib paper {self.notebook}"
        if self.profile == "paper":
            p = self.provenance
            body = (f"This page shows results of the <b>paper profile</b>, read from its bundle "
                    f"({compute_seconds(self.notebook) / 60:.1f} min of compute on "
                    f"{', '.join(compute_devices(self.notebook))}; bundled {p['created'][:10]} on {p['device']}, "
                    f"commit {p['commit'][:10]}). Parameters changed from the defaults: "
                    + ", ".join(f"<code>{k} = {v}</code>" for k, v in p["parameters"].items()) + ".")
            if p.get("uncommitted_changes"):
                body += (" It was made from a working tree with uncommitted changes to tracked files, so its "
                         "commit does not fully identify the code behind it.")
            title = "Paper-scale results"
        else:
            body = ("This page shows results of the parameters in its <code>parameters</code> cell (the quick "
                    f"profile when built as a book), not the paper's scale: {self.reason}. To show paper-scale "
                    f"results, run <code>{cmd}</code> (a GPU makes it fast) and rebuild the book.")
            title = "Quick-profile results"
        return (f'<div class="admonition note"><p class="admonition-title">{title}</p><p>{body}</p></div>')

    def note(self) -> Any:
        """The note as an IPython display object (HTML), for the chapter's first output."""
        from IPython.display import HTML

        return HTML(self.note_html())


def choose(notebook: str, results_from: str, namespace: dict | None = None, profile: str = "paper") -> Shown:
    """Use the chapter's current bundle when ``results_from == "auto"``; ``"compute"`` always computes.

    ``namespace`` (the notebook's ``globals()``): the bundle is used only while the chapter's parameters are
    its defaults or the paper profile's values, so a rerun with any other value computes that value.
    """
    if results_from not in RESULTS_FROM:
        raise ParameterError(f"results_from={results_from!r} is not allowed; choose one of "
                             f"{', '.join(map(repr, RESULTS_FROM))}")
    stem = chapters.source_path(notebook).stem
    if results_from == "compute":
        return Shown(stem, "own", {}, "this run was asked to compute its results")
    if namespace is not None:
        defaults = {k: v for k, v in chapters.parameter_defaults(stem).items() if k != "results_from"}
        values = cache._jsonable({k: namespace.get(k) for k in defaults})
        paper = cache._jsonable({**defaults, **profile_parameters(profile, stem)})
        if values not in (cache._jsonable(defaults), paper):
            return Shown(stem, "own", {}, "its parameters were changed from the defaults")
    current, reason, prov = status(stem, profile)
    if not current:
        return Shown(stem, "own", {}, reason, prov)
    cache.read_only_source(bundle_dir(stem) / "cache", strict=True)
    return Shown(stem, "paper", dict(profile_parameters(profile, stem)), "", prov)
