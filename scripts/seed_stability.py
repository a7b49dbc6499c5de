"""Run chapters under several seeds and count, for every check, the verdict it gives on each seed.

    python scripts/seed_stability.py 06_universality 07_pseudo_real              # seeds 1..20, quick profile
    python scripts/seed_stability.py 06_universality --seeds 1-5 --profile quick
    python scripts/seed_stability.py 06_universality --seeds 1,2,7 --resume      # skip seeds already done

Each (chapter, seed) is executed with ``lib.pipeline.run.execute(stem, profile, {"seed": S})`` into its own
output folder (``HMM_OUTPUT_DIR`` points there, so the claim record that the chapter's ``claims.Registry``
writes, ``<output>/claims/<stem>/<fingerprint>.json``, belongs to this run alone; the result cache is shared,
so a rerun of an unchanged computation is quick). A chapter that stops on a failed asserted check still leaves
the checks it recorded up to that one; the error is kept in the summary.

The summary, rewritten after every seed, goes to ``results/stability/<stem>.json``: per check id the count of
each verdict over the seeds, the majority verdict, the seeds that disagree with it and the measured value on
every seed; per seed the run's wall time and error (if any). Issue 18's criterion: no check changes verdict on
more than 1 seed in 20 (``"stable"`` is true when at most ``len(seeds) // 20`` seeds disagree).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_seeds(text: str) -> list[int]:
    """'1-20' or '1,2,5' or '1-3,7' -> sorted distinct seeds."""
    seeds: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            if hi < lo:
                raise SystemExit(f"--seeds: {part!r} is an empty range")
            seeds.update(range(lo, hi + 1))
        else:
            seeds.add(int(part))
    if not seeds or min(seeds) < 0:
        raise SystemExit(f"--seeds {text!r}: give non-negative seeds, e.g. 1-20 or 1,2,5")
    return sorted(seeds)


def read_record(run_dir: Path, stem: str) -> dict | None:
    """The claim record the run wrote (the newest, should there be several), or None."""
    found = sorted((run_dir / "claims" / stem).glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(found[-1].read_text()) if found else None


def run_seed(stem: str, seed: int, profile: str, run_dir: Path) -> dict:
    """Execute ``stem`` with ``seed`` into ``run_dir``; {'seed', 'wall_s', 'error', 'claims': [claim dicts]}."""
    from lib.pipeline.run import execute

    run_dir.mkdir(parents=True, exist_ok=True)
    for old in (run_dir / "claims" / stem).glob("*.json"):
        old.unlink()
    saved = os.environ.get("HMM_OUTPUT_DIR")
    os.environ["HMM_OUTPUT_DIR"] = str(run_dir)
    error, t0 = None, time.perf_counter()
    try:
        execute(stem, profile, {"seed": seed}, out_dir=run_dir / "notebook", quiet=True)
    except Exception as err:                       # a failed asserted check: keep what was recorded
        error = f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"
    finally:
        if saved is None:
            os.environ.pop("HMM_OUTPUT_DIR", None)
        else:
            os.environ["HMM_OUTPUT_DIR"] = saved
    wall = time.perf_counter() - t0
    record = read_record(run_dir, stem)
    out = {"seed": seed, "wall_s": round(wall, 1), "error": error,
           "claims": record["claims"] if record else [], "code": record["code"] if record else None}
    (run_dir / "done.json").write_text(json.dumps(out, indent=1))
    return out


def verdict_of(claim: dict) -> str:
    from lib.pipeline.claims import Claim

    return Claim(**claim).verdict


def summarise(stem: str, profile: str, runs: list[dict]) -> dict:
    """Per check: verdict counts, majority, disagreeing seeds (a seed that did not record the check counts as
    'missing'), measured values; per seed: wall time and error."""
    seeds = [r["seed"] for r in runs]
    ids: list[str] = []
    for r in runs:
        for c in r["claims"]:
            if c["id"] not in ids:
                ids.append(c["id"])
    checks = {}
    for cid in ids:
        per_seed, measured = {}, {}
        for r in runs:
            c = next((c for c in r["claims"] if c["id"] == cid), None)
            per_seed[r["seed"]] = verdict_of(c) if c else "missing"
            measured[r["seed"]] = c["measured"] if c else None
        counts = Counter(per_seed.values())
        majority = counts.most_common(1)[0][0]
        disagree = [s for s in seeds if per_seed[s] != majority]
        checks[cid] = {"counts": dict(counts), "majority": majority, "disagreeing_seeds": disagree,
                       "stable": len(disagree) <= len(seeds) // 20, "verdicts": per_seed, "measured": measured}
    unstable = [cid for cid, c in checks.items() if not c["stable"]]
    return {"notebook": stem, "profile": profile, "seeds": seeds, "n_seeds": len(seeds),
            "criterion": "a check is stable when at most len(seeds) // 20 seeds disagree with its majority verdict "
                         "(issue 18: no change of verdict on more than 1 seed in 20)",
            "unstable": unstable, "checks": checks,
            "runs": {r["seed"]: {"wall_s": r["wall_s"], "error": r["error"]} for r in runs},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="+", help="chapter stems, e.g. 06_universality 07_pseudo_real")
    parser.add_argument("--seeds", default="1-20", help="seeds: '1-20' (default), '1,2,5', '1-3,7'")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--work", type=Path, default=ROOT / "_output" / "stability",
                        help="folder of the per-seed runs (default _output/stability, git-ignored)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "stability", help="summary folder")
    parser.add_argument("--resume", action="store_true",
                        help="reuse a seed's finished run in --work instead of running it again (same code only)")
    args = parser.parse_args(argv)
    from lib.pipeline.chapters import source_path

    seeds = parse_seeds(args.seeds)
    args.out.mkdir(parents=True, exist_ok=True)
    for chapter in args.chapters:
        stem = source_path(chapter).stem
        runs = []
        for seed in seeds:
            run_dir = args.work / stem / f"seed{seed}"
            done = run_dir / "done.json"
            if args.resume and done.exists():
                result = json.loads(done.read_text())
            else:
                result = run_seed(stem, seed, args.profile, run_dir)
            runs.append(result)
            summary = summarise(stem, args.profile, runs)
            (args.out / f"{stem}.json").write_text(json.dumps(summary, indent=1) + "\n")
            print(f"{stem} seed {seed}: {result['wall_s']:.0f} s, {len(result['claims'])} checks"
                  + (f", error {result['error']}" if result["error"] else "")
                  + f"; unstable so far: {summary['unstable'] or 'none'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
