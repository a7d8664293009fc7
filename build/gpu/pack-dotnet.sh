#!/usr/bin/env bash
# Run HERE from the repo root: packs this machine's .NET runtime into .device/dotnet.tar.xz (the GPU machine has no
# .NET), as ../shared/device/pack-dotnet.sh does, without that script's write to .git/info/exclude, which a git
# worktree does not have (/.device/ is in .gitignore). Used by prepare.sh and prepare-training.sh.
set -euo pipefail
dn=$(dirname "$(readlink -f "$(command -v dotnet)")")
rt=$(ls -d "$dn"/shared/Microsoft.NETCore.App/* | sort -V | tail -1)
mkdir -p .device
if [ ! -f .device/dotnet.tar.xz ] || [ "$rt" -nt .device/dotnet.tar.xz ]; then
  tar -C "$dn" -cJf .device/dotnet.tar.xz dotnet host "shared/Microsoft.NETCore.App/$(basename "$rt")"
fi
