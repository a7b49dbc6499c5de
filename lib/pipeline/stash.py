"""A committed store of expensive cached results, so that long computations survive the machine they ran on.

The result cache (:mod:`lib.core.cache`) lives in a git-ignored folder and is lost with the machine. A paper-profile
chapter that needs more compute than one sitting (Section IV: about 12 hours on 2 CPU cores) is therefore run
in pieces, and each finished piece, an ordinary cache entry, is *stashed*: copied, xz-compressed, with its JSON
record, to ``results/stash/<function>/<digest>.pkl.xz``, and committed. On another machine ``restore`` puts
the stashed entries back into the cache and the chapter resumes where it stopped. :func:`lib.pipeline.paper.regenerate`
restores before it runs a chapter.

    python -m lib stash save [--min-seconds 60]   # stash every cache entry that took at least that long
    python -m lib stash restore                   # copy stashed entries missing from the cache into it
    python -m lib stash prune                     # drop stashed entries whose library code has changed
    python -m lib stash list                      # what the stash holds

An entry is only ever the cache's own pickle and record, so what is restored is exactly what was computed;
its key includes the hash of the code behind it, so a stashed result of older code is never used (and
``prune`` removes it). ``HMM_STASH_DIR`` moves the stash (the tests use an empty one).
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core import paths
from .bundle import is_current, span_seconds

MIN_SECONDS = 60.0     # entries cheaper than this are recomputed rather than committed


def stash_dir() -> Path:
    return Path(os.environ.get("HMM_STASH_DIR", paths.ROOT / "results" / "stash"))


@dataclass(frozen=True)
class Entry:
    folder: str            # the cached function's name (the cache's sub-folder)
    digest: str
    record: dict

    @property
    def current(self) -> bool:
        """The cached function behind the entry still declares the numerics version it was computed with."""
        return is_current(self.record)


def _entries(root: Path, suffix: str) -> list[Entry]:
    out = []
    for rec in sorted(root.glob("*/*.json")):
        if rec.with_suffix(suffix).exists():
            out.append(Entry(rec.parent.name, rec.stem, json.loads(rec.read_text())))
    return out


def stashed() -> list[Entry]:
    return _entries(stash_dir(), ".pkl.xz")


def save(min_seconds: float = MIN_SECONDS) -> list[Entry]:
    """Stash every current cache entry whose computation took at least ``min_seconds`` and that the stash
    lacks; returns the entries added."""
    added = []
    for e in _entries(paths.cache_dir(), ".pkl"):
        target = stash_dir() / e.folder / f"{e.digest}.pkl.xz"
        if target.exists() or e.record.get("wall_s", 0.0) < min_seconds or not e.current:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        src = paths.cache_dir() / e.folder / e.digest
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        with open(src.with_suffix(".pkl"), "rb") as fin, lzma.open(tmp, "wb", preset=6) as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, target)
        shutil.copy2(src.with_suffix(".json"), target.with_suffix("").with_suffix(".json"))
        added.append(e)
    return added


def restore() -> list[Entry]:
    """Copy every current stashed entry that the cache lacks into the cache; returns the entries restored."""
    restored = []
    for e in stashed():
        dest = paths.cache_dir() / e.folder / f"{e.digest}.pkl"
        if dest.exists() or not e.current:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = stash_dir() / e.folder / f"{e.digest}.pkl.xz"
        tmp = dest.with_suffix(f".{os.getpid()}.tmp")
        with lzma.open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, dest)
        shutil.copy2(src.with_suffix("").with_suffix(".json"), dest.with_suffix(".json"))
        restored.append(e)
    return restored


def prune() -> list[Entry]:
    """Remove the stashed entries whose library code has changed since they were computed."""
    dropped = [e for e in stashed() if not e.current]
    for e in dropped:
        base = stash_dir() / e.folder / e.digest
        base.with_suffix(".pkl.xz").unlink()
        base.with_suffix(".json").unlink()
    return dropped


def compute_seconds(entries: list[Entry]) -> float:
    """Compute time behind ``entries``, a result computed inside another one counted once
    (:func:`lib.pipeline.bundle.span_seconds`)."""
    return span_seconds([e.record for e in entries])


def _describe(entries: list[Entry]) -> str:
    hours = compute_seconds(entries) / 3600
    return f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} ({hours:.2f} h of compute)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib stash", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "restore", "prune", "list"))
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS,
                        help=f"save: only entries that took at least this long (default {MIN_SECONDS:g})")
    args = parser.parse_args(argv)
    if args.min_seconds < 0:
        print(f"error: --min-seconds must be >= 0, got {args.min_seconds:g}", file=sys.stderr)
        return 2
    if args.action == "list":
        for e in stashed():
            print(f"{e.folder}/{e.digest}  {e.record.get('wall_s', 0.0) / 60:7.1f} min  "
                  f"{e.record.get('created', '?')}  {'current' if e.current else 'STALE'}")
        print(f"stash {stash_dir()}: {_describe(stashed())}")
        return 0
    done = {"save": lambda: save(args.min_seconds), "restore": restore, "prune": prune}[args.action]()
    print(f"{args.action}: {_describe(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
