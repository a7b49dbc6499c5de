"""One-off carry-over (run once, 2026-12-04) of the committed results to the version-keyed cache.

Until then a cache key hashed the source of the cached function's module and of every library module it
imported, and the function's dotted name (``lib.section5.guarded_batch``): any edit, or moving a module,
made every result stale. Now a key is (function name, parameters, numerics version) (:mod:`lib.core.cache`).
This script gives every committed stash entry and bundle entry its new key, computed from the parameters in
its own record, renames its files, rewrites its record (``version: 1``, the new ``module``; ``rekeyed_from``
keeps the old digest and ``code`` the old code hash), and rewrites the bundles' provenance. It is valid only
because the golden tests (``tests/test_golden.py``), recorded with the code that made these results,
passed on the moved code: the numbers of every cached function are unchanged.

    python scripts/rekey_results.py            # rewrite results/stash and results/paper in place
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.core import cache  # noqa: E402
from lib.pipeline.bundle import load_cached_functions  # noqa: E402


def rekey(record_path: Path, suffix: str) -> tuple[str, str] | None:
    """Rename one entry (``<digest>.json`` + ``<digest><suffix>``) to its new key; (old, new) entry names."""
    rec = json.loads(record_path.read_text())
    if "version" in rec:
        return None
    name = rec["function"].rsplit(".", 1)[-1]
    func = cache.REGISTRY[name]
    digest, _ = cache.key_of(name, rec["params"], func.version)
    old = record_path.stem
    new_rec = {"function": name, "params": rec["params"], "version": func.version,
               "module": func.__wrapped__.__module__, **{k: v for k, v in rec.items()
                                                          if k not in ("function", "params", "version", "module")},
               "rekeyed_from": old}
    folder = record_path.parent
    (folder / f"{old}{suffix}").rename(folder / f"{digest}{suffix}")
    (folder / f"{digest}.json").write_text(json.dumps(new_rec, indent=1))
    if digest != old:
        record_path.unlink()
    return f"{folder.name}/{old}", f"{folder.name}/{digest}"


def _new_info(info: dict) -> dict:
    """A provenance entry of the old form ({function, code, ...}) in the new one ({function, module, version})."""
    func = cache.REGISTRY[info["function"].rsplit(".", 1)[-1]]
    return {**{k: v for k, v in info.items() if k != "code"}, "function": func.cache_name,
            "module": func.__wrapped__.__module__, "version": func.version}


def main() -> None:
    load_cached_functions()
    renamed = {}
    for rec in sorted((ROOT / "results" / "stash").glob("*/*.json")):
        pair = rekey(rec, ".pkl.xz")
        if pair:
            renamed[pair[0]] = pair[1]
    for chapter in sorted((ROOT / "results" / "paper").iterdir()):
        for rec in sorted((chapter / "cache").glob("*/*.json")):
            pair = rekey(rec, ".pkl")
            if pair:
                renamed[pair[0]] = pair[1]
        prov_path = chapter / "provenance.json"
        prov = json.loads(prov_path.read_text())
        prov.pop("code_cells", None)
        for part in ("entries", "pieces"):
            prov[part] = {renamed.get(k, k): _new_info(v) for k, v in prov.get(part, {}).items()}
        prov_path.write_text(json.dumps(prov, indent=1))
    print(f"{len(renamed)} entries rekeyed")


if __name__ == "__main__":
    main()
