"""A committed store of expensive cached results, so that long computations survive the machine they ran on.

The result cache (:mod:`lib.core.cache`) lives in a git-ignored folder and is lost with the machine. A paper-profile
chapter that needs more compute than one sitting (Section IV: about 12 hours on 2 CPU cores) is therefore run
in pieces, and each finished piece, an ordinary cache entry, is *stashed*: copied, xz-compressed, with its JSON
record, to ``results/stash/<function>/<digest>.npz.xz``, and committed. On another machine ``restore`` puts
the stashed entries back into the cache and the chapter resumes where it stopped. :func:`lib.pipeline.paper.regenerate`
restores before it runs a chapter.

    python -m lib stash save [--min-seconds 60]   # stash every cache entry that took at least that long
    python -m lib stash restore                   # copy stashed entries missing from the cache into it
    python -m lib stash prune                     # show the stashed entries whose code has changed ...
    python -m lib stash prune --yes               # ... and delete them
    python -m lib stash list                      # what the stash holds (current, STALE or CORRUPT)

An entry is only ever the cache's own result file and record, so what is restored is exactly what was computed;
the result is data, not code (:mod:`lib.core.store`: arrays and JSON in an ``.npz``, read with pickles
disabled). xz makes the stash smaller than the ``.npz`` compressed by zip's deflate (42 MiB against 71 MiB for the
64 Section IV entries), and a fresh machine decompresses each entry once, when it restores it. Its key includes
the numerics version of the function behind it, so a stashed result of older code is never used (and
``prune --yes`` removes it). Each record holds the SHA-256 of the decompressed ``.npz``: an entry that
does not decompress or does not match it is skipped with a warning naming its file (the others are restored),
and ``list`` marks it CORRUPT. Every file is written atomically (:func:`lib.core.cache.atomic_write`).
``HMM_STASH_DIR`` moves the stash (the tests use an empty one).
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core import cache, paths
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
            try:
                record = json.loads(rec.read_text())
            except (OSError, ValueError) as err:
                cache.warn(f"record {rec} cannot be read ({type(err).__name__}: {err}); its entry is skipped")
                continue
            out.append(Entry(rec.parent.name, rec.stem, record))
    return out


def stashed() -> list[Entry]:
    return _entries(stash_dir(), cache.PACKED_SUFFIX)


def _files(e: Entry) -> tuple[Path, Path]:
    """(compressed result, record) of stashed entry ``e``."""
    folder = stash_dir() / e.folder
    return folder / f"{e.digest}{cache.PACKED_SUFFIX}", folder / f"{e.digest}.json"


def payload(e: Entry) -> bytes:
    """The result file (``.npz`` bytes) of stashed entry ``e``, decompressed and checked against the SHA-256 of
    its record; ``cache.CorruptEntry`` saying why it cannot be used."""
    packed, _ = _files(e)
    if not cache.record_matches(e.record, e.digest):
        raise cache.CorruptEntry("has a record that is not its key's (other function, version or parameters)")
    try:
        data = lzma.decompress(packed.read_bytes())
    except (lzma.LZMAError, EOFError, OSError) as err:
        raise cache.CorruptEntry(f"does not decompress ({type(err).__name__}: {err})") from None
    expected = e.record.get("sha256")
    if expected is None:
        raise cache.CorruptEntry("has no SHA-256 in its record")
    if cache.sha256(data) != expected:
        raise cache.CorruptEntry("does not match the SHA-256 in its record (altered or corrupt)")
    return data


def problem(e: Entry) -> str:
    """Why stashed entry ``e`` cannot be restored ("" when it can)."""
    try:
        payload(e)
    except cache.CorruptEntry as err:
        return str(err)
    return ""


def save(min_seconds: float = MIN_SECONDS) -> list[Entry]:
    """Stash every current cache entry whose computation took at least ``min_seconds`` and that the stash
    lacks; returns the entries added (their records with the SHA-256 of the result file). A cache entry that does
    not match its record is reported and left out."""
    added = []
    for e in _entries(paths.cache_dir(), cache.SUFFIX):
        packed, record_path = _files(e)
        if (packed.exists() and record_path.exists()) or e.record.get("wall_s", 0.0) < min_seconds or not e.current:
            continue
        source = paths.cache_dir() / e.folder / f"{e.digest}{cache.SUFFIX}"
        try:
            with cache.folder_lock(source.parent, exclusive=False):          # not while a writer is at it
                record, data = cache.check_entry(source)
        except cache.CorruptEntry as err:
            cache.warn(f"cache entry {source} {err}: not stashed")
            continue
        record = {**record, "sha256": cache.sha256(data)}
        packed.parent.mkdir(parents=True, exist_ok=True)
        cache.atomic_write(packed, cache.pack(data))                        # the result first, then its record:
        cache.atomic_write(record_path, json.dumps(record, indent=1).encode())   # a record means a complete entry
        added.append(Entry(e.folder, e.digest, record))
    return added


def restore() -> list[Entry]:
    """Copy every current stashed entry that the cache lacks into the cache; returns the entries restored.
    An entry that cannot be used (:func:`payload`) is skipped with a warning naming its file."""
    restored = []
    for e in stashed():
        dest = paths.cache_dir() / e.folder / f"{e.digest}{cache.SUFFIX}"
        if dest.exists() or not e.current:
            continue
        try:
            data = payload(e)
        except cache.CorruptEntry as err:
            cache.warn(f"stash entry {_files(e)[0]} {err}: skipped (its result will be computed again)")
            continue
        try:
            cache.write_entry(dest.parent, e.digest, e.record, data)
        except OSError as err:
            cache.warn(f"stash entry {_files(e)[0]} could not be restored to {dest} ({err}): skipped")
            continue
        restored.append(e)
    return restored


def prune(yes: bool = False) -> list[Entry]:
    """The stashed entries whose library code has changed since they were computed; deleted only with ``yes``
    (without it nothing is touched: ``python -m lib stash prune`` shows them first)."""
    dropped = [e for e in stashed() if not e.current]
    if yes:
        for e in dropped:
            for f in _files(e)[::-1]:                                        # the record first
                f.unlink(missing_ok=True)
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
    parser.add_argument("--yes", action="store_true", help="prune: delete (without it, prune only shows)")
    args = parser.parse_args(argv)
    cache.one_line_warnings()
    if args.min_seconds < 0:
        print(f"error: --min-seconds must be >= 0, got {args.min_seconds:g}", file=sys.stderr)
        return 2
    if args.action == "list":
        entries = stashed()
        for e in entries:
            trouble = problem(e)
            state = f"CORRUPT ({trouble})" if trouble else "current" if e.current else "STALE"
            print(f"{e.folder}/{e.digest}  {e.record.get('wall_s', 0.0) / 60:7.1f} min  "
                  f"{e.record.get('created', '?')}  {state}")
        print(f"stash {stash_dir()}: {_describe(entries)}")
        return 0
    if args.action == "prune":
        stale = prune(yes=args.yes)
        for e in stale:
            print(f"{'deleted' if args.yes else 'would delete'} {e.folder}/{e.digest}  "
                  f"{e.record.get('wall_s', 0.0) / 60:7.1f} min  {e.record.get('created', '?')}  "
                  f"(version {e.record.get('version')} of {e.record.get('function')})")
        if args.yes or not stale:
            print(f"prune: {'deleted ' if stale else ''}{_describe(stale)}")
        else:
            print(f"prune: would delete {_describe(stale)}, whose code has changed; nothing deleted. Run "
                  "`python -m lib stash prune --yes` to delete them.")
        return 0
    done = {"save": lambda: save(args.min_seconds), "restore": restore}[args.action]()
    print(f"{args.action}: {_describe(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
