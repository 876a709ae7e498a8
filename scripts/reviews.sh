#!/usr/bin/env bash
# Reproduces the review-classification table of the text issue on Women's E-Commerce Clothing
# Reviews (fixed protocol: `dram prepare-reviews`), for task A (`recommended`, 2 classes) and
# task B (`sentiment` from the rating, 3 classes):
#   ngram      hashed word 1-2-grams + char 3-grams (2^18 buckets), mean-pooled, linear layer
#   teacher    all-MiniLM-L6-v2 fine-tuned end to end (both tasks, one encoder, two heads,
#              class-balanced loss), scored from its cached logits
#   student    the on-device student (2^15 buckets x 12, one 32-wide hidden layer), labels only
#   distilled  the same student distilled from the teacher on its transfer set: the training
#              rows with the teacher's cached logits plus AUGMENT_COPIES perturbed copies of
#              each (words cropped to a span and dropped) that the teacher scores
#   int8       the distilled student quantized to int8 (`dram quantize`, calibrated on validation)
#   distilled-ngram  the same student distilled from the n-gram baseline (a reference point)
#   cnn        the word-piece student: MiniLM's vocabulary pruned to the pieces the training
#              reviews use, rows started from MiniLM's input embeddings (principal directions),
#              a width-3 convolution max-pooled over 128 pieces, one hidden layer; labels only
#   cnn-distilled, cnn-int8  the same, distilled on the transfer set, and in int8
# Every model but the teacher is scored through dram-core on the test split. Speed, all through
# dram-core in one run per comparison: `dram latency` (fp32 vs int8 student, one review per
# call) and `dram text-latency` (the teacher exported to ONNX and run by dram-core's Session vs
# the students' Classifier, review by review); the teacher's bytes are that ONNX file's.
# Output: out/reviews/{task}-{model}.onnx, *.jsonl logs, *-latency.json, text-latency.json and
# results.json (`{"<task>-<model>": {"task", "quality", "params", "bytes"}}`, the layout
# dram-bench reads into its `quality` rows).
#
# The teacher run is the expensive step: one epoch over all 18,111 training reviews at 128 word
# pieces took 50 min on 2 idle cores (7 reviews/s), plus ~7 min caching the logits of all
# 22,642 reviews and ~10 min scoring the augmented copies. It is checkpointed and resumes where
# it stopped when this script is rerun; a directory holds one set of options (TEACHER_ARGS).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
./scripts/fetch-minilm.sh
cargo build --workspace --locked --bin dram
dram=target/debug/dram
out=out/reviews
teacher=${TEACHER_DIR:-$out/teacher-full}
prepared=data/reviews/prepared
mkdir -p "$out"
$dram prepare-reviews --data data/reviews/reviews.parquet --out $prepared
TEACHER_ARGS=${TEACHER_ARGS:-"--frozen-layers 0 --epochs 1 --max-len 128 --batch-size 16 --lr 8e-5 --warmup 0.06 --balance 0.5 --checkpoint-every 20"}
# shellcheck disable=SC2086
nice -n 10 $dram finetune-text-teacher --model-dir data/minilm --data $prepared --out "$teacher" $TEACHER_ARGS
copies=${AUGMENT_COPIES:-2}
transfer=$teacher/transfer-$copies.csv
if [[ ! -f $transfer ]]; then
    $dram augment-text --teacher "$teacher" --copies "$copies" --out "$transfer.tmp.csv"
    mv "$transfer.tmp.csv" "$transfer"
fi

# REUSE=1 keeps the model files of the steps that do not depend on the teacher (n-gram
# baseline, student alone, student distilled from the n-gram model) when they exist, e.g. when
# rerunning after a new teacher run; the teacher's distilled and int8 students are always redone.
unless_reused() {
    local file=$1
    shift
    if [[ ${REUSE:-0} == 1 && -f $file ]]; then echo "reusing $file"; else "$@"; fi
}
models=(ngram student distilled int8 distilled-ngram cnn cnn-distilled cnn-int8)
for task in recommended sentiment; do
    classes=2; [[ $task == sentiment ]] && classes=3
    columns=$(seq -s, -f "teacher_${task}_%g" 0 $((classes - 1)))
    config=tools/configs/reviews-$task-student.toml
    cnn=tools/configs/reviews-$task-cnn.toml
    unless_reused "$out/$task-ngram.onnx" $dram train --config tools/configs/reviews-$task-ngram.toml --train $prepared/train.csv --valid $prepared/valid.csv \
        --checkpoint "$out/ckpt-$task-ngram" --out "$out/$task-ngram.onnx" --log "$out/$task-ngram.jsonl"
    unless_reused "$out/$task-student.onnx" $dram train --config $config --train $prepared/train.csv --valid $prepared/valid.csv \
        --checkpoint "$out/ckpt-$task-student" --out "$out/$task-student.onnx" --log "$out/$task-student.jsonl"
    $dram distill --config $config --train "$transfer" --valid "$teacher/valid.csv" \
        --teacher-column "$columns" --checkpoint "$out/ckpt-$task-distilled" --out "$out/$task-distilled.onnx" \
        --log "$out/$task-distilled.jsonl"
    $dram quantize --checkpoint "$out/ckpt-$task-distilled" --calibration $prepared/valid.csv \
        --out "$out/$task-int8.onnx" --report "$out/$task-int8-report.json"
    # A reference point for the distillation machinery: the same student distilled from the
    # n-gram baseline model file instead of the MiniLM teacher.
    unless_reused "$out/$task-distilled-ngram.onnx" $dram distill --config $config --train $prepared/train.csv --valid $prepared/valid.csv \
        --teacher "$out/$task-ngram.onnx" --checkpoint "$out/ckpt-$task-distilled-ngram" --out "$out/$task-distilled-ngram.onnx" \
        --log "$out/$task-distilled-ngram.jsonl"
    # The word-piece convolution student: trained alone, distilled on the same transfer set, int8.
    unless_reused "$out/$task-cnn.onnx" $dram train --config $cnn --train $prepared/train.csv --valid $prepared/valid.csv \
        --checkpoint "$out/ckpt-$task-cnn" --out "$out/$task-cnn.onnx" --log "$out/$task-cnn.jsonl"
    $dram distill --config $cnn --train "$transfer" --valid "$teacher/valid.csv" \
        --teacher-column "$columns" --checkpoint "$out/ckpt-$task-cnn-distilled" --out "$out/$task-cnn-distilled.onnx" \
        --log "$out/$task-cnn-distilled.jsonl"
    $dram quantize --checkpoint "$out/ckpt-$task-cnn-distilled" --calibration $prepared/valid.csv \
        --out "$out/$task-cnn-int8.onnx" --report "$out/$task-cnn-int8-report.json"
    for model in "${models[@]}"; do
        $dram eval --model "$out/$task-$model.onnx" --data $prepared/test.csv --config $config --json > "$out/$task-$model.test.json"
        $dram inspect "$out/$task-$model.onnx" | awk '/^parameters/ {print $2}' > "$out/$task-$model.params"
    done
    # fp32 vs int8 student, one review per call, interleaved in one run.
    $dram latency --config $config --data $prepared/test.csv --candidates 1 --iterations 2000 \
        --model "$out/$task-distilled.onnx" --model "$out/$task-int8.onnx" \
        --model "$out/$task-cnn-distilled.onnx" --model "$out/$task-cnn-int8.onnx" --json > "$out/$task-latency.json"
done
# The teacher against the students, review by review, all through dram-core.
$dram text-latency --teacher "$teacher" --data $prepared/test.csv --texts 200 \
    --model "$out/recommended-distilled.onnx" --model "$out/recommended-int8.onnx" \
    --model "$out/sentiment-distilled.onnx" --model "$out/sentiment-int8.onnx" \
    --model "$out/recommended-cnn-distilled.onnx" --model "$out/recommended-cnn-int8.onnx" \
    --model "$out/sentiment-cnn-distilled.onnx" --model "$out/sentiment-cnn-int8.onnx" > "$out/text-latency.json"

python3 - "$out" "$teacher" "${models[@]}" <<'PY'
import json, math, os, struct, sys
out, teacher, models = sys.argv[1], sys.argv[2], sys.argv[3:]
def load(name):
    return json.load(open(os.path.join(out, name)))
metrics = json.load(open(os.path.join(teacher, "metrics.json")))
# Teacher parameters: the fine-tuned safetensors' tensor sizes (header only).
with open(os.path.join(teacher, "teacher.safetensors"), "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
teacher_params = sum(math.prod(t["shape"]) for k, t in header.items() if k != "__metadata__")
speed = {os.path.basename(m["model"]).removesuffix(".onnx"): m for m in load("text-latency.json")["models"]}
rows = {}
for task in ["recommended", "sentiment"]:
    t = metrics["test"][task]
    test_rows = load(f"{task}-student.test.json")["rows"]
    rows[f"{task}-teacher"] = dict(task=task, quality=dict(rows=test_rows, macro_f1=t["macro_f1"], auc=t["auc"], accuracy=t["accuracy"]),
                                   params=teacher_params, bytes=speed["teacher"]["bytes"], p50_us_per_review=speed["teacher"]["p50_us"],
                                   note="fine-tuned all-MiniLM-L6-v2 (both heads), scored from cached logits; bytes and speed of its ONNX export through dram-core")
    latency = {os.path.basename(m["model"]).removesuffix(".onnx"): m for m in load(f"{task}-latency.json")}
    for model in models:
        q = load(f"{task}-{model}.test.json")
        entry = dict(task=task, quality=q, params=int(open(os.path.join(out, f"{task}-{model}.params")).read()),
                     bytes=os.path.getsize(os.path.join(out, f"{task}-{model}.onnx")))
        if f"{task}-{model}" in speed:
            entry["p50_us_per_review"] = speed[f"{task}-{model}"]["p50_us"]
            entry["teacher_speedup_p50"] = speed[f"{task}-{model}"]["speedup_p50"]
        if f"{task}-{model}" in latency:
            entry["dram_latency_p50_us"] = latency[f"{task}-{model}"]["p50_us"]
        rows[f"{task}-{model}"] = entry
json.dump(rows, open(os.path.join(out, "results.json"), "w"), indent=2)
print(f"{'model':<28} {'macro-F1':>8} {'AUC':>7} {'acc':>7} {'bytes':>10} {'µs/review':>10}")
for name, r in rows.items():
    q = r["quality"]
    us = r.get("p50_us_per_review", r.get("dram_latency_p50_us", float("nan")))
    print(f"{name:<28} {q['macro_f1']:8.4f} {q['auc']:7.4f} {q['accuracy']:7.4f} {r['bytes']:>10} {us:>10.1f}")
PY
echo "wrote $out/results.json"
