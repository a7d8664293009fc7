#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repo root, after build/gpu/prepare.sh here (carry the paths it prints). About 5
# minutes on an H200 (estimate: never run yet); every stage has its own time limit (8.5 minutes in all), so a slow
# stage costs its own results and the rest still come back.
# Writes under $OUT: gpu.txt, parity.txt, llada-8b.{json,txt}, dream-7b.{json,txt}, forward-*.txt, host-*.json,
# gpu-memory.csv, cuda-graph-probe.txt and results.json (all of it in one file, for docs/benchmarks.md).
#
# Dry run of the same commands on a CPU machine with tiny shapes (what was checked before any GPU run):
#   DEVICE=cpu LLADA=llada-tiny DREAM=llada-tiny PROMPT=8 GEN=16 BLOCK=8 WARMUP_GEN=8 FORWARD_PROMPT=64 \
#   LIBTORCH=~/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native OUT=/tmp/out bash build/gpu/run.sh
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda} LLADA=${LLADA:-llada-8b} DREAM=${DREAM:-dream-7b}
PROMPT=${PROMPT:-256} GEN=${GEN:-256} BLOCK=${BLOCK:-32} WARMUP_GEN=${WARMUP_GEN:-32} FORWARD_PROMPT=${FORWARD_PROMPT:-512}
start=$(date +%s)
stage() { echo "== $1 ($(( $(date +%s) - start )) s)" | tee -a "$OUT/stages.txt"; }

source build/gpu/device-env.sh   # .NET from the tarball, PyTorch's libtorch
bench=(dotnet .device/bench/mercury-bench.dll)   # an array, not a function: `timeout` runs programs only
if [ "$DEVICE" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
  # Whole-run GPU memory every 200 ms, a cross-check of the per-setting peaks the bench takes through NVML.
  nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 200 > "$OUT/gpu-memory.csv" &
  sampler=$!
else
  echo "cpu dry run" > "$OUT/gpu.txt"; sampler=""
fi

# 1. Reference-logit parity on the device, f32 (max |diff| < 1e-4) and bf16 (< 2 % of the largest logit).
stage parity
timeout 90 "${bench[@]}" parity --fixtures .device/fixtures --device "$DEVICE" 2>&1 | tee "$OUT/parity.txt"

# 2. LLaDA-8B shapes, bf16, random weights: 256-token prompt + 256 new, block 32; AR baseline, no cache, dual cache at
#    1 and 4 tokens per step, threshold 0.9; batch 1, 4, 16. One process (CUDA context and cuBLAS set up once), a
#    one-block warm-up per setting, one measured run; the JSON is rewritten after every row.
stage "$LLADA table"
timeout 210 "${bench[@]}" --model "$LLADA" --device "$DEVICE" --dtype bf16 --prompt "$PROMPT" --gen "$GEN" --block "$BLOCK" \
  --batch 1,4,16 --runs 1 --warmup 1 --warmup-gen "$WARMUP_GEN" --json "$OUT/llada-8b.json" 2>&1 | tee "$OUT/llada-8b.txt"

# 3. Dream-7B shapes at batch 1.
stage "$DREAM table"
timeout 60 "${bench[@]}" --model "$DREAM" --device "$DEVICE" --dtype bf16 --prompt "$PROMPT" --gen "$GEN" --block "$BLOCK" \
  --batch 1 --runs 1 --warmup 1 --warmup-gen "$WARMUP_GEN" --json "$OUT/dream-7b.json" 2>&1 | tee "$OUT/dream-7b.txt"

# 4. The model alone: full forward over the context and the dual-cache block step (the issue's <= 8 ms target).
stage forward
for model in "$LLADA" "$DREAM"; do
  timeout 30 "${bench[@]}" forward --model "$model" --device "$DEVICE" --dtype bf16 --prompt "$FORWARD_PROMPT" --block "$BLOCK" --runs 30 --warmup 3 \
    2>&1 | tee "$OUT/forward-$model.txt"
done

# 5. Managed time and bytes per decoding step on this machine's CPU (the host side of a GPU step).
stage host
timeout 30 "${bench[@]}" host --model "$LLADA" --device "$DEVICE" --dtype bf16 --prompt "$PROMPT" --gen 64 --block "$BLOCK" --batch 1 \
  --json "$OUT/host-$LLADA.json" 2>&1 | tee "$OUT/host.txt"

[ -n "$sampler" ] && kill "$sampler" 2>/dev/null

# 6. Could .NET reach CUDA graphs through a shim built against this PyTorch? Facts, and a capture/replay in C++.
stage "cuda graph probe"
if [ "$DEVICE" = cuda ] && [ "${PROBE:-1}" = 1 ]; then
  timeout 60 bash build/gpu/cuda_graph_probe.sh "$LIBTORCH" > "$OUT/cuda-graph-probe.txt" 2>&1
else
  echo "skipped (DEVICE=$DEVICE, PROBE=${PROBE:-1})" > "$OUT/cuda-graph-probe.txt"
fi
cat "$OUT/cuda-graph-probe.txt"

stage done
python3 build/gpu/collect.py "$OUT" > "$OUT/results.json" && echo "wrote $OUT/results.json"
