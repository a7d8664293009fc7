#!/usr/bin/env bash
# Run HERE (no GPU needed): publishes mercury-bench for the CUDA machine and packs what it needs into .device/
# (ignored by git; pass it as `carry`). Then run the printed device command (build/gpu/run.sh there).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
# This machine's .NET runtime, packed as ../shared/device/pack-dotnet.sh packs it (inline: that script also writes
# .git/info/exclude, which a git worktree does not have; /.device/ is in .gitignore).
dn=$(dirname "$(readlink -f "$(command -v dotnet)")")
rt=$(ls -d "$dn"/shared/Microsoft.NETCore.App/* | sort -V | tail -1)
mkdir -p .device
if [ ! -f .device/dotnet.tar.xz ] || [ "$rt" -nt .device/dotnet.tar.xz ]; then
  tar -C "$dn" -cJf .device/dotnet.tar.xz dotnet host "shared/Microsoft.NETCore.App/$(basename "$rt")"
fi
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
size=$(du -sm .device | cut -f1)
du -sh .device
[ "$size" -lt 64 ] || { echo ".device is ${size} MiB; the device tool carries 64 MiB at most" >&2; exit 1; }
echo "device command: bash build/gpu/run.sh   (carry: [\".device\"], timeout_s 480; about 6 minutes on an H200)"
