"""One-off (2026-12): the committed results, which were pickles, converted to data without recomputing anything.

A pickle runs whatever code it names when it is read, so a tampered bundle arriving in a pull request would run
on the machine of every reader who builds the book (issue 20, item 13). Results are now stored as data
(:mod:`lib.core.store`: arrays in an ``.npz`` read with ``allow_pickle=False``, everything else in JSON), and
this script converts what was committed before:

- paper bundles, ``results/paper/<chapter>/cache/<function>/<digest>.pkl`` -> ``<digest>.npz.xz``;
- stash entries, ``results/stash/<function>/<digest>.pkl.xz`` -> ``<digest>.npz.xz``.

Each pickle is first checked against the checksum recorded for it (the bundle's provenance, the stash record),
then read ONCE, by the unpickler below (these pickles are ours, committed by us; classes of renamed modules are
found through ``lib.core.store.RENAMED_MODULES``), and written with :func:`lib.core.store.dumps`, xz-compressed.
The new file is read back from disk with every pickle loader disabled and compared with the pickle's content
(:func:`lib.core.store.difference`: the same types throughout, arrays and floats bit for bit); only then is the
entry's record given the SHA-256 of the new ``.npz`` and the pickle deleted. A bundle's provenance gets the
SHA-256 of its new files ("files"), the size of its ``.npz`` results ("bytes") and a note ("converted"); a
bundle is converted in a temporary folder and swapped in when complete, a stash entry file by file (result,
record, then the pickle deleted), so an interrupted run can be run again. Finally every result under the folder
is loaded with pickles disabled and no pickle may be left.

    .venv/bin/python scripts/convert_results_to_data.py [RESULTS_DIR]     # default: the repository's results/
"""
from __future__ import annotations

import contextlib
import io
import json
import lzma
import pickle
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from lib.core import cache, paths, store
from lib.pipeline import bundle

NOTE = ("results converted from pickles to data (.npz.xz: arrays and JSON, lib.core.store) by "
        "scripts/convert_results_to_data.py on {date}, without recomputing; every number identical")


class _Unpickler(pickle.Unpickler):
    """Classes of modules renamed since the results were pickled found under their new names."""

    def find_class(self, module: str, name: str):
        return super().find_class(store.RENAMED_MODULES.get(module, module), name)


def unpickle(raw: bytes) -> Any:
    return _Unpickler(io.BytesIO(raw)).load()


@contextlib.contextmanager
def pickle_disabled():
    """Every pickle loader raises while the converted files are read."""
    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was read")

    saved = pickle.load, pickle.loads, pickle.Unpickler
    pickle.load = pickle.loads = pickle.Unpickler = refuse
    try:
        yield
    finally:
        pickle.load, pickle.loads, pickle.Unpickler = saved


def write_checked(result_path: Path, record_path: Path, record: dict, obj: Any) -> int:
    """Write ``obj`` as data to ``result_path`` (xz), read it back from disk with pickles disabled and require
    it to be ``obj`` exactly, then write its record with the new SHA-256; returns the size of the ``.npz``."""
    data = store.dumps(obj)
    cache.atomic_write(result_path, cache.pack(data))
    with pickle_disabled():
        back = store.loads(lzma.decompress(result_path.read_bytes()))
    problem = store.difference(obj, back)
    if problem:
        raise SystemExit(f"{result_path}: the converted result differs from the pickle at {problem}")
    cache.atomic_write(record_path, json.dumps({**record, "sha256": cache.sha256(data)}, indent=1).encode())
    with pickle_disabled():
        cache.load_entry(result_path)                       # the record and the file agree
    return len(data)


def convert_bundle(folder: Path) -> int:
    """Convert one bundle (in a temporary folder, swapped in when complete); returns the number of entries."""
    prov_path = folder / "provenance.json"
    prov = json.loads(prov_path.read_text())
    pickles = sorted(folder.glob("cache/*/*.pkl"))
    if not pickles:
        return 0
    files = prov.get("files", {})
    on_disk = bundle.checksums(folder)
    if on_disk != files:
        raise SystemExit(f"{folder}: its files do not match the checksums of its provenance; not converted")
    building = cache.temporary_name(folder.with_name(f".{folder.name}"))
    try:
        new_files, sizes = {}, {}
        for pkl in pickles:
            rel = pkl.relative_to(folder)
            entry = rel.parent.relative_to("cache") / pkl.stem
            record = json.loads(pkl.with_suffix(".json").read_text())
            target = building / rel.parent / f"{pkl.stem}{cache.PACKED_SUFFIX}"
            target.parent.mkdir(parents=True, exist_ok=True)
            sizes[entry.as_posix()] = write_checked(target, target.with_name(f"{pkl.stem}.json"), record,
                                                    unpickle(pkl.read_bytes()))
        others = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".pkl", ".json")]
        for p in others:
            (building / p.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            cache.atomic_write(building / p.relative_to(folder), p.read_bytes())
        new_files = bundle.checksums(building)
        prov.update(files=new_files, bytes=sum(sizes.values()),
                    converted=NOTE.format(date=time.strftime("%Y-%m-%d")))
        cache.atomic_write(building / "provenance.json", json.dumps(prov, indent=1).encode())
        bundle._swap_in(building, folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return len(pickles)


def convert_stash_entry(packed: Path) -> None:
    """Convert one stash entry ``<digest>.pkl.xz`` (its record beside it) in place."""
    digest = packed.name[:-len(".pkl.xz")]
    record_path = packed.with_name(f"{digest}.json")
    record = json.loads(record_path.read_text())
    raw = lzma.decompress(packed.read_bytes())
    if cache.sha256(raw) != record.get("sha256"):
        done = packed.with_name(f"{digest}{cache.PACKED_SUFFIX}")
        if not (done.exists() and cache.sha256(lzma.decompress(done.read_bytes())) == record.get("sha256")):
            raise SystemExit(f"{packed}: does not match the SHA-256 of its record; not converted")
    write_checked(packed.with_name(f"{digest}{cache.PACKED_SUFFIX}"), record_path, record, unpickle(raw))
    packed.unlink()


def verify(root: Path) -> int:
    """Every result under ``root`` loads with pickles disabled, every bundle matches its provenance, and no
    pickle is left; returns the number of results."""
    left = [p for p in root.rglob("*") if p.name.endswith((".pkl", ".pkl.xz", ".pickle"))]
    if left:
        raise SystemExit(f"pickles left: {left[:3]}")
    for prov_path in sorted((root / "paper").glob("*/provenance.json")):
        problem = bundle.integrity_problem(prov_path.parent, json.loads(prov_path.read_text()))
        if problem:
            raise SystemExit(f"{prov_path.parent}: {problem}")
    results = sorted(root.rglob(f"*{cache.PACKED_SUFFIX}"))
    with pickle_disabled():
        for p in results:
            cache.load_entry(p)
    return len(results)


def size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else paths.ROOT / "results"
    before = size(root)
    bundles = sum(convert_bundle(prov.parent) for prov in sorted((root / "paper").glob("*/provenance.json")))
    stashed = sorted((root / "stash").glob("*/*.pkl.xz"))
    for packed in stashed:
        convert_stash_entry(packed)
    n = verify(root)
    print(f"converted {bundles} bundle entries and {len(stashed)} stash entries; {n} results load with pickles "
          f"disabled; {root}: {before / 2**20:.1f} MiB -> {size(root) / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
