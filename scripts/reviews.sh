#!/usr/bin/env bash
# Reproduces the review-classification table of the text issue on Women's E-Commerce Clothing
# Reviews (fixed protocol: `dram-lab prepare-reviews`), for task A (`recommended`, 2 classes)
# and task B (`sentiment` from the rating, 3 classes): an n-gram baseline, the fine-tuned
# all-MiniLM-L6-v2 teacher, the on-device student alone, distilled on the teacher's transfer
# set (AUGMENT_COPIES perturbed copies per row) and in int8, distilled from the n-gram baseline,
# and the word-piece convolution student alone, distilled and in int8 (lab/src/reviews.rs says
# what each is). Output: out/reviews/{task}-{model}.onnx, *.jsonl logs, *-latency.json,
# text-latency.json and results.json (lab/src/results.rs: the rows dram-bench reads).
#
# The teacher run is the expensive step: one epoch over all 18,111 training reviews at 128 word
# pieces took 50 min on 2 idle cores (7 reviews/s), plus ~7 min caching the logits of all
# 22,642 reviews and ~10 min scoring the augmented copies. It is checkpointed and resumes where
# it stopped when this script is rerun; a directory holds one set of options (TEACHER_ARGS).
# REUSE=1 keeps the model files of the steps that do not depend on the teacher when they exist.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
./scripts/fetch-minilm.sh
cargo build --workspace --locked --bin dram --bin dram-lab
lab=target/debug/dram-lab
teacher=${TEACHER_DIR:-out/reviews/teacher-full}
prepared=data/reviews/prepared
$lab prepare-reviews --data data/reviews/reviews.parquet --out $prepared
TEACHER_ARGS=${TEACHER_ARGS:-"--frozen-layers 0 --epochs 1 --max-len 128 --batch-size 16 --lr 8e-5 --warmup 0.06 --balance 0.5 --checkpoint-every 20"}
# shellcheck disable=SC2086
nice -n 10 $lab finetune-text-teacher --model-dir data/minilm --data $prepared --out "$teacher" $TEACHER_ARGS
reuse=(); [[ ${REUSE:-0} == 1 ]] && reuse=(--reuse)
$lab reviews --prepared $prepared --teacher "$teacher" --out out/reviews --copies "${AUGMENT_COPIES:-2}" "${reuse[@]}"
