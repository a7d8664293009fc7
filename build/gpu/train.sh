#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repo root, after build/gpu/prepare-training.sh here (carry .device/dotnet.tar.xz and
# .device/train): trains the embedded model's v2 recipe (or another shape through MODEL_ARGS) from scratch for MINUTES
# of wall clock on one cosine schedule, with the weight average, and sends back the exported average (bf16, sharded)
# for evaluation here on the CPU. About MINUTES + 2 minutes; give the device call timeout_s 570 for MINUTES=5.
# Writes under $OUT: gpu.txt, corpus.log (the fresh parts), train.log (progress, held-out losses, tokens/s) and
# model.tar.part-* (the model folder, in pieces the tool brings back; `cat model.tar.part-* | tar -x` gives model/).
# Never run on a GPU yet: the weights stay f32 there, with TF32 matmuls (Trainer.cs says why).
#
# Dry run of the same commands on a CPU machine (what was checked before any GPU run):
#   DEVICE=cpu MINUTES=1 BATCH=4 PARTS=1 MODEL_ARGS="--d-model 64 --layers 2 --heads 2 --mlp 128" \
#   LIBTORCH=~/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native OUT=/tmp/out bash build/gpu/train.sh
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda} MINUTES=${MINUTES:-5} BATCH=${BATCH:-256} LR=${LR:-3e-3} WARMUP=${WARMUP:-200} AVERAGE=${AVERAGE:-0.999}
MODEL_ARGS=${MODEL_ARGS:-}   # e.g. "--d-model 384 --layers 6 --heads 6 --mlp 1024"; default: the v2 shape (5.59M parameters)
PARTS=${PARTS:-8}            # fresh corpus parts built there, one process each (0: the carried corpus alone)
source build/gpu/device-env.sh   # .NET from the tarball, PyTorch's libtorch
if [ "$DEVICE" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt"; else echo "cpu dry run" > "$OUT/gpu.txt"; fi
cat "$OUT/gpu.txt"

work=/tmp/gpu-train
rm -rf "$work" /tmp/model /tmp/trainer && mkdir -p "$work" /tmp/trainer
tar -xJf .device/train/trainer.tar.xz -C /tmp/trainer && tar -xJf .device/train/corpus.tar.xz -C "$work" && cp .device/train/tokenizer.json "$work/" || exit 1
# The carried corpus holds 27.5M tokens, and the first CPU run already overfit its corpus (training loss ~0.2 against
# 0.47 held out, until fresh functions were added); a GPU takes far more steps. Each part adds ~168,000 fresh examples
# (functions, pages, tool calls; no refinements, which need a sandbox), never an evaluation instruction of the carried
# corpus, whose held-out sets stay the run's.
for i in $(seq 1 "$PARTS"); do
  timeout 300 dotnet /tmp/trainer/Mercury.AI.Training.dll corpus --work "/tmp/part$i" --seed $(( 20261202 + i )) --refinements 0 \
    --functions 120000 --synthetic-tools 16000 --exclude-eval-of "$work/corpus" > "/tmp/part$i.log" 2>&1 &
done
wait
for i in $(seq 1 "$PARTS"); do   # a part that failed is left out (its log's end goes to corpus.log), not the run
  if done_line=$(grep -H "^corpus: .* train," "/tmp/part$i.log"); then
    echo "$done_line" | tee -a "$OUT/corpus.log"
    cat "/tmp/part$i/corpus/train.jsonl" >> "$work/corpus/train.jsonl"
  else
    tail -3 "/tmp/part$i.log" | sed "s|^|part $i failed: |" | tee -a "$OUT/corpus.log"
  fi
  rm -rf "/tmp/part$i"
done
# One schedule over MINUTES (the trainer's own clock), a checkpoint every 1,000 steps: the call is the only chance,
# so a trainer that dies or runs out of time still sends back the average of its last checkpoint.
trainer=(dotnet /tmp/trainer/Mercury.AI.Training.dll train --work "$work" --model /tmp/model --device "$DEVICE" --threads 4 --average "$AVERAGE")
# shellcheck disable=SC2086
timeout $(( ${MINUTES%.*} * 60 + 150 )) "${trainer[@]}" --minutes "$MINUTES" --batch-size "$BATCH" --lr "$LR" --warmup "$WARMUP" \
  --eval-every 500 --log-every 50 --checkpoint-every 1000 $MODEL_ARGS 2>&1 | tee "$OUT/train.log"
rc=${PIPESTATUS[0]}
if [ ! -f /tmp/model/config.json ] && [ -f "$work/run/checkpoint/state.json" ]; then
  echo "trainer exit code $rc without an export: exporting the checkpoint's average" | tee -a "$OUT/train.log"
  # shellcheck disable=SC2086
  timeout 120 "${trainer[@]}" --export-only true $MODEL_ARGS 2>&1 | tee -a "$OUT/train.log"
fi
[ -f /tmp/model/config.json ] || { echo "no model exported (trainer exit code $rc)"; exit 1; }
# At most 8 files of 16 MiB come back: the model folder goes as one tar in 15 MiB pieces.
tar -C /tmp -cf - model | split -b 15m - "$OUT/model.tar.part-"
ls -la "$OUT"
