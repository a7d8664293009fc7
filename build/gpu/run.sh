#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repo root, after build/gpu/prepare.sh here. Writes results under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
mkdir -p /tmp/dn && tar xJf .device/dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH
torchlib=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/torch/lib 2>/dev/null | head -1)
[ -z "$torchlib" ] && torchlib=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
export MERCURY_LIBTORCH=$torchlib LD_LIBRARY_PATH=$torchlib:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
bench() { dotnet .device/bench/mercury-bench.dll "$@"; }
# 1. Reference-logit parity on CUDA, f32 and bf16 (issue 2).
bench parity --fixtures .device/fixtures --device cuda 2>&1 | tee "$OUT/parity.txt"
# GPU memory, sampled every 200 ms for the whole run (the bench reads host memory; TorchSharp exposes no CUDA allocator stats).
nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 200 > "$OUT/gpu-memory.csv" &
sampler=$!
# 2. LLaDA-8B shapes, bf16, random weights: 256-token prompt + 256 new = 512-token context, block 32 (issues 3 and 7).
timeout 300 bench --model llada-8b --device cuda --dtype bf16 --prompt 256 --gen 256 --block 32 --batch 1,4,16 --runs 2 --warmup 1 \
  --json "$OUT/llada-8b.json" 2>&1 | tee "$OUT/llada-8b.txt"
kill $sampler 2>/dev/null
echo "peak GPU memory: $(cut -d, -f2 "$OUT/gpu-memory.csv" | sort -n | tail -1)" | tee -a "$OUT/llada-8b.txt"
