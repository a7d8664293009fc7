#!/usr/bin/env bash
# Run HERE from the repo root: fails when the tracked files and the given carried paths together exceed what the device
# tool sends (64 MiB; 2 MiB kept for untracked files).   build/gpu/check-carry.sh <carried path>...
set -euo pipefail
tree=$(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1)   # one du: xargs could split it
carried=$(du -cb "$@" | tail -1 | cut -f1)
mib=$(( (tree + carried) / 1048576 ))
echo "tracked files and $*: ${mib} MiB of the 64 the device tool carries"
[ "$mib" -lt 62 ] || { echo "too large to carry" >&2; exit 1; }
