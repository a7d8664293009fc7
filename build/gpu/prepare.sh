#!/usr/bin/env bash
# Run HERE (no GPU needed): publishes mercury-bench for the CUDA machine and packs what it needs into .device/
# (ignored by git; travels with the working tree). Then run the printed device command (build/gpu/run.sh there).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash ../shared/device/pack-dotnet.sh >/dev/null
# No bundled CPU libtorch: on the GPU machine TorchSharp runs on PyTorch's CUDA libtorch (README, "GPU").
dotnet publish src/Mercury.AI.Bench -c Release -r linux-x64 --self-contained false -p:MercuryLibTorch=external -o .device/bench >/dev/null
rm -rf .device/fixtures && mkdir -p .device/fixtures
cp -r tests/fixtures/llada-tiny tests/fixtures/dream-tiny .device/fixtures/
du -sh .device
echo "device command: bash build/gpu/run.sh   (carry: .device, timeout_s ~480)"
