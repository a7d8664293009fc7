#!/usr/bin/env bash
# Run HERE from the repo root on a v2 model folder (e.g. the one build/gpu/train.sh sent back): the measurements the
# model card reports, as reports in docs/model-v2/ named after <name> (the commands of docs/model-v2/README.md).
#   build/training/evaluate-v2.sh <model folder> <corpus folder> <name> [tasks per group, 20]
# Stop the trainer first if one runs: the page checks in Chromium have a time limit.
set -euo pipefail
model=${1:?usage: evaluate-v2.sh <model folder> <corpus folder> <name> [tasks per group]}
corpus=${2:?usage: evaluate-v2.sh <model folder> <corpus folder> <name> [tasks per group]}
name=${3:?usage: evaluate-v2.sh <model folder> <corpus folder> <name> [tasks per group]}
limit=${4:-20}
cd "$(git rev-parse --show-toplevel)"
out=docs/model-v2
dotnet build src/Mercury.AI.Training -c Release -v q >/dev/null
trainer=(dotnet src/Mercury.AI.Training/bin/Release/net10.0/Mercury.AI.Training.dll)
common=(--model "$model" --corpus "$corpus")
"${trainer[@]}" conditioning "${common[@]}" --limit 32 | tee "$out/conditioning-$name.txt"
"${trainer[@]}" eval "${common[@]}" --samplers onetok,thr0.9,thr0.7 --parts functions,speed --limit "$limit" \
  --csharp-limit $(( (limit + 1) / 2 )) --report "$out/eval-$name.json"
"${trainer[@]}" eval "${common[@]}" --samplers onetok,thr0.9 --parts tools --limit "$limit" --report "$out/eval-tools-$name.json"
"${trainer[@]}" eval "${common[@]}" --samplers thr0.9 --parts pages,v1 --limit "$limit" --page-limit $(( (limit + 1) / 2 )) \
  --report "$out/eval-pages-$name.json"
echo "reports: $out/{conditioning-$name.txt,eval-$name.json,eval-tools-$name.json,eval-pages-$name.json}"
