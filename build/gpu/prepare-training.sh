#!/usr/bin/env bash
# Run HERE (no GPU needed): packs a v2 training run for the CUDA machine into .device/ (ignored by git): the .NET
# runtime, the trainer published without the CPU libtorch, and a corpus with its tokenizer. Then run the printed
# device command (build/gpu/train.sh there).
#   build/gpu/prepare-training.sh [work folder]
# The work folder holds corpus/ and tokenizer.json (built by the trainer's `corpus` and `tokenizer` commands); when it
# has none, they are built here with the v2 recipe (`corpus --seed 1234 --functions 120000 --synthetic-tools 16000`,
# about 10 minutes on 2 cores), so the GPU's minutes all go to training.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
work=$(readlink -f "${1:-artifacts/gpu-train}")
bash build/gpu/pack-dotnet.sh
rm -rf .device/train && mkdir -p .device/train
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
dotnet publish src/Mercury.AI.Training -c Release -r linux-x64 --self-contained false -p:MercuryLibTorch=external -o "$publish" >/dev/null
# Playwright's driver (a Node.js of ~100 MB) serves the page checks of `corpus` and `eval`, which run here, not there.
rm -rf "$publish/.playwright"
trainer=(dotnet "$publish/Mercury.AI.Training.dll")
if [ ! -f "$work/corpus/train.jsonl" ]; then
  "${trainer[@]}" corpus --work "$work" --seed 1234 --functions 120000 --synthetic-tools 16000
fi
[ -f "$work/tokenizer.json" ] || "${trainer[@]}" tokenizer --work "$work"
# Compressed hard (xz -9 on every core, a few minutes here): the corpus is 320 MB of JSON lines and the carried tree
# is 64 MiB at most, tracked files included.
XZ_OPT=${XZ_OPT:--9 -T0} tar -C "$publish" -cJf .device/train/trainer.tar.xz .
XZ_OPT=${XZ_OPT:--9 -T0} tar -C "$work" -cJf .device/train/corpus.tar.xz corpus
cp "$work/tokenizer.json" .device/train/
du -sh .device/dotnet.tar.xz .device/train/*
bash build/gpu/check-carry.sh .device/dotnet.tar.xz .device/train
echo 'device command: bash build/gpu/train.sh   (carry: [".device/dotnet.tar.xz", ".device/train"], timeout_s 570)'
