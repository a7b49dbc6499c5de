#!/usr/bin/env bash
# `make gpu-check`: on a CUDA machine, in one prepared run within a time budget,
#   1. the GPU tests (pytest -m gpu), where pytest is installed;
#   2. the benchmark record of this machine (python -m lib bench --no-scaling --save);
#   3. the expensive results of every chapter that can compute them without the notebook tools
#      (python -m lib paper --results-only <chapter>), each chapter's wall time printed;
#   4. the cache entries computed by this run, packed into $OUT/cache-{new,big}.tar.xz.part-* (15 MiB pieces), so
#      that another machine can unpack them (cat the parts | tar -xJ -C _cache) and build the bundles
#      (python -m lib paper).
# A step that would not fit in what is left of the budget is skipped and named at the end.
#   GPU_CHECK_SECONDS   the budget in seconds (default 540)
#   OUT                 where the record, the packed entries and the log go (default _output/gpu-check)
#   GPU_CHECK_CHAPTERS  chapters of step 3, in this order (default: every chapter with --results-only)
#   GPU_CHECK_PROFILE   profile of step 3 (default paper; quick is a small trial)
#   GPU_CHECK_ON_CPU=1  run anyway without CUDA (a trial of the script itself, with GPU_CHECK_PROFILE=quick)
#   GPU_CHECK_SKIP      steps 1 and 2 to leave out, by name: "tests", "bench" (e.g. when only results are needed)
# Needs only python3 with torch, numpy, scipy, tqdm and pyyaml (pytest optional). Without CUDA it stops at once.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
[ -x .venv/bin/python ] && PY=.venv/bin/python
OUT=${OUT:-_output/gpu-check}
mkdir -p "$OUT"
budget=${GPU_CHECK_SECONDS:-540}
t0=$(date +%s)
started=$(date +%Y-%m-%dT%H:%M:%S)
export PYTHONUNBUFFERED=1 TQDM_MININTERVAL=${TQDM_MININTERVAL:-15}
skipped=()

left() { echo $(( budget - ($(date +%s) - t0) )); }
step() {  # step NAME SECONDS_NEEDED COMMAND...: run COMMAND if SECONDS_NEEDED are left, within what is left
  local name=$1 need=$2 s rc
  shift 2
  if (( $(left) < need )); then
    skipped+=("$name (needs about ${need} s, $(left) s left)")
    return 0
  fi
  s=$(date +%s)
  echo "== $name: started with $(left) s of the budget left"
  timeout "$(left)" "$@"
  rc=$?
  echo "== $name: exit $rc after $(( $(date +%s) - s )) s"
  (( rc == 124 )) && skipped+=("$name (stopped at the end of the budget)")
  return 0
}

if [ "${GPU_CHECK_ON_CPU:-0}" != 1 ] && ! $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu-check: no CUDA device here; nothing run"
  exit 0
fi
$PY -c "import torch; print('gpu-check on', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'the CPU', 'torch', torch.__version__)"

wanted() { [[ " ${GPU_CHECK_SKIP:-} " != *" $1 "* ]]; }
if ! wanted tests; then
  skipped+=("GPU tests (GPU_CHECK_SKIP)")
elif $PY -c "import pytest" 2>/dev/null; then
  step "GPU tests" 30 $PY -m pytest -p no:cacheprovider -m gpu -q tests/test_sgd.py tests/test_ode.py
else
  skipped+=("GPU tests (pytest is not installed)")
fi
if wanted bench; then
  step "benchmark record" 90 $PY -m lib bench --no-scaling --save --out "$OUT"
else
  skipped+=("benchmark record (GPU_CHECK_SKIP)")
fi
chapters=${GPU_CHECK_CHAPTERS:-$($PY -c "from lib.pipeline.paper import RESULTS_ONLY; print(' '.join(RESULTS_ONLY))")}
for stem in $chapters; do
  step "paper results of $stem" 60 $PY -m lib paper --results-only --profile "${GPU_CHECK_PROFILE:-paper}" "$stem"
done
$PY - "$OUT" "$started" <<'PACK'
"""Pack the cache entries this run computed (their record's ``created`` is not before the start): results of
at most 8 MB in cache-new.tar.xz, larger ones (e.g. a fitted latent matrix) apart in cache-big.tar.xz, each
archive cut into 15 MiB pieces (.part-00, ...), so the small ones come back even if the big ones do not."""
import json, subprocess, sys
from pathlib import Path
from lib.core import paths
out, started = Path(sys.argv[1]), sys.argv[2]
root = paths.cache_dir()
new = [rec for rec in sorted(root.glob("*/*.json"))
       if json.loads(rec.read_text()).get("created", "") >= started and rec.with_suffix(".npz").exists()]
big = [rec for rec in new if rec.with_suffix(".npz").stat().st_size > 8e6]
for name, recs in (("cache-new", [r for r in new if r not in big]), ("cache-big", big)):
    files = [str(p.relative_to(root)) for rec in recs for p in (rec, rec.with_suffix(".npz"))]
    if not files:
        continue
    tar = subprocess.run(["tar", "-C", str(root), "-cJf", "-", *files], capture_output=True, check=True).stdout
    piece = 15 * 2**20
    for i in range(0, len(tar), piece):
        (out / f"{name}.tar.xz.part-{i // piece:02d}").write_bytes(tar[i:i + piece])
    print(f"pack: {len(recs)} entries, {len(tar) / 1e6:.1f} MB, in {out}/{name}.tar.xz.part-*")
PACK
echo "gpu-check: $(( $(date +%s) - t0 )) s in all"
if (( ${#skipped[@]} )); then
  echo "gpu-check skipped:"
  printf '  - %s\n' "${skipped[@]}"
fi
