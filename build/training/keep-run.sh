#!/usr/bin/env bash
# Keeps a CPU training run resumable across machines: its state (checkpoint with optimizer moments, tokenizer,
# corpus, logs) goes into one commit of its own branch, with no parent, so the branch holds only the latest state.
# The branch is local: push it (`git push <remote> model-v2-run`) to a place that outlives the machine, and fetch it
# on the next one before `restore`.
#   keep-run.sh save    <work folder> [branch]   after stopping the trainer (it writes the checkpoint atomically)
#   keep-run.sh restore <work folder> [branch]   on a new machine, before `train --work <work folder> ...`
set -euo pipefail
cmd=${1:?usage: keep-run.sh save|restore <work folder> [branch]}
work=${2:?usage: keep-run.sh save|restore <work folder> [branch]}
branch=${3:-model-v2-run}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)

case "$cmd" in
save)
  [[ -f "$work/run/checkpoint/state.json" ]] || { echo "no checkpoint in $work/run/checkpoint" >&2; exit 1; }
  if pgrep -f -- "--work $work " >/dev/null; then echo "a trainer on $work is running: stop it first" >&2; exit 1; fi
  index=$(mktemp); rm -f "$index"
  trap 'rm -f "$index"' EXIT
  add() { # add <file> <path in the commit>
    local blob; blob=$(git -C "$repo" hash-object -w "$1")
    GIT_INDEX_FILE=$index git -C "$repo" update-index --add --cacheinfo "100644,$blob,$2"
  }
  for f in "$work"/run/checkpoint/* "$work"/run/heldout.tsv "$work"/tokenizer.json "$work"/*.log "$work"/*.cmd; do
    if [[ -f "$f" ]]; then add "$f" "${f#"$work"/}"; fi
  done
  # The corpus is text, so it keeps well compressed; its held-out sets must stay the ones the run never trained on.
  [[ -f "$work/corpus.tar.xz" ]] || XZ_OPT=${XZ_OPT:--T0} tar -C "$work" -cJf "$work/corpus.tar.xz" corpus
  add "$work/corpus.tar.xz" corpus.tar.xz
  tree=$(GIT_INDEX_FILE=$index git -C "$repo" write-tree)
  step=$(sed -E 's/.*"Step":([0-9]+).*/\1/' "$work/run/checkpoint/state.json")
  commit=$(git -C "$repo" commit-tree "$tree" -m "Training run state at step $step ($(date -u +%F))")
  git -C "$repo" update-ref "refs/heads/$branch" "$commit"
  echo "saved step $step of $work as $branch ($commit)"
  ;;
restore)
  git -C "$repo" rev-parse --verify -q "refs/heads/$branch" >/dev/null || { echo "no branch $branch" >&2; exit 1; }
  mkdir -p "$work"
  git -C "$repo" archive "$branch" | tar -x -C "$work"
  tar -C "$work" -xJf "$work/corpus.tar.xz"
  echo "restored $(cat "$work/run/checkpoint/state.json") into $work"
  ;;
*) echo "usage: keep-run.sh save|restore <work folder> [branch]" >&2; exit 2 ;;
esac
