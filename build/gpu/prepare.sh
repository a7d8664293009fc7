#!/usr/bin/env bash
# Run HERE (no GPU needed): publishes mercury-bench for the CUDA machine and packs what it needs into .device/
# (ignored by git; pass it as `carry`). Then run the printed device command (build/gpu/run.sh there).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash build/gpu/pack-dotnet.sh
# No bundled CPU libtorch: on the GPU machine TorchSharp runs on PyTorch's CUDA libtorch (README, "GPU").
rm -rf .device/bench
dotnet publish src/Mercury.AI.Bench -c Release -r linux-x64 --self-contained false -p:MercuryLibTorch=external -o .device/bench >/dev/null
# The reference fixtures for the parity check: the clone's vendored copy when there is one, else ../shared.
fixtures=""
for candidate in tests/fixtures tests/shared/fixtures ../shared/fixtures; do
  if [ -d "$candidate/llada-tiny" ]; then fixtures=$candidate; break; fi
done
[ -n "$fixtures" ] || { echo "no fixtures folder (tests/fixtures or ../shared/fixtures) found" >&2; exit 1; }
rm -rf .device/fixtures && mkdir -p .device/fixtures
cp -r "$fixtures/llada-tiny" "$fixtures/dream-tiny" .device/fixtures/
bash build/gpu/check-carry.sh .device/dotnet.tar.xz .device/bench .device/fixtures
echo 'device command: bash build/gpu/run.sh   (carry: [".device/dotnet.tar.xz", ".device/bench", ".device/fixtures"], timeout_s 480; about 6 minutes on an H200)'
