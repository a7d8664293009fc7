#!/usr/bin/env bash
# Installs the Debian packages the agent host's sample job needs when they are missing: bubblewrap (the sandbox) and
# python3 (the job's tests). As root it runs apt-get directly (a fresh Debian container has no sudo); as a user,
# through sudo. Prints nothing and changes nothing when both are there.
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v python3 >/dev/null || need+=(python3)
[ ${#need[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Installing ${need[*]} needs root: run this as root, or install sudo." >&2; exit 1; }
  as_root=(sudo)
fi
echo "Installing ${need[*]} (apt-get)..." >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
