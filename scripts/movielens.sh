#!/usr/bin/env bash
# Reproduces the MovieLens-100K distillation table: teacher, student trained alone and
# distilled student, all scored by dram-core on the test split (per-user time split: last 5
# ratings of each user test, the 5 before validation; label = rating >= 4).
# Output: out/movielens/{teacher,student,distilled,pruned,sparse}.onnx, *.jsonl logs and results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
# The dev profile optimises every crate that does numeric work (see Cargo.toml) and shares
# its build with the test suite.
cargo build --workspace --locked --bin dram
dram=target/debug/dram
out=out/movielens
mkdir -p "$out"
$dram prepare-movielens --dir data/movielens --out data/movielens/prepared
d=data/movielens/prepared
$dram train --config tools/configs/movielens-teacher.toml --train $d/train.csv --valid $d/valid.csv \
    --checkpoint "$out/ckpt-teacher" --out "$out/teacher.onnx" --log "$out/teacher.jsonl"
$dram train --config tools/configs/movielens-student.toml --train $d/train.csv --valid $d/valid.csv \
    --checkpoint "$out/ckpt-student" --out "$out/student.onnx" --log "$out/student.jsonl"
$dram distill --config tools/configs/movielens-student.toml --train $d/train.csv --valid $d/valid.csv \
    --teacher "$out/teacher.onnx" --checkpoint "$out/ckpt-distilled" --out "$out/distilled.onnx" --log "$out/distilled.jsonl"
# Structured pruning of the distilled student to half its parameters (docs/quantization.md).
$dram prune --config tools/configs/movielens-student.toml --train $d/train.csv --valid $d/valid.csv \
    --student "$out/ckpt-distilled" --teacher "$out/teacher.onnx" --keep 0.5 --steps 6 --finetune-epochs 5 --lr 0.008 \
    --checkpoint "$out/ckpt-pruned" --out "$out/pruned.onnx" --report "$out/pruned.json"
# Unstructured pruning to 50% zero weights (issue 4's goal): Fisher-ranked weights (teacher
# distillation loss), table weights' scores times their row's training reads (rarely read rows
# go first), each tensor's share from its measured validation sensitivity, recovery by
# self-distillation from the unpruned student keeping the epoch closest to it on validation
# (settings chosen on validation over 3 seeds, docs/quantization.md). Zeros keep the file's size.
$dram prune --config tools/configs/movielens-student.toml --train $d/train.csv --valid $d/valid.csv \
    --student "$out/ckpt-distilled" --teacher "$out/teacher.onnx" --method magnitude --sparsity 0.5 \
    --scope sensitivity --importance fisher --frequency-power 1 --recovery self --select fidelity \
    --steps 6 --finetune-epochs 5 \
    --checkpoint "$out/ckpt-sparse" --out "$out/sparse.onnx" --report "$out/sparse.json"
# Int8 for the cpu target (MatMulInteger kernels, int8 tables), calibrated on the validation
# split, for the distilled and the pruned student; the npu (QDQ, 128 candidates) and coreml
# (fp16 weights) profiles of the distilled student; then each profile is linted.
$dram quantize --checkpoint "$out/ckpt-distilled" --calibration $d/valid.csv --out "$out/int8.onnx" --report "$out/int8-report.json"
$dram quantize --checkpoint "$out/ckpt-pruned" --calibration $d/valid.csv --out "$out/pruned-int8.onnx" --report "$out/pruned-int8-report.json"
$dram quantize --checkpoint "$out/ckpt-distilled" --calibration $d/valid.csv --target npu --out "$out/int8-npu.onnx"
$dram export --checkpoint "$out/ckpt-distilled" --target coreml --out "$out/distilled-coreml.onnx"
$dram lint "$out/int8.onnx" --target cpu
$dram lint "$out/int8-npu.onnx" --target npu
$dram lint "$out/distilled-coreml.onnx" --target coreml
# fp32 vs int8 (and pruned) ranking latency through dram-core, interleaved in one run.
$dram latency --config tools/configs/movielens-student.toml --data $d/test.csv --candidates 100 \
    --model "$out/distilled.onnx" --model "$out/int8.onnx" --model "$out/pruned.onnx" --model "$out/pruned-int8.onnx" \
    --json > "$out/latency.json"
cat "$out/latency.json"
{
    echo "{"
    models=(teacher student distilled pruned sparse int8 pruned-int8)
    for m in "${models[@]}"; do
        cfg=tools/configs/movielens-student.toml
        [[ $m == teacher ]] && cfg=tools/configs/movielens-teacher.toml
        q=$($dram eval --model "$out/$m.onnx" --data $d/test.csv --config $cfg --json)
        params=$($dram inspect "$out/$m.onnx" | awk '/^parameters/ {print $2}')
        bytes=$(stat -c %s "$out/$m.onnx")
        sep=","; [[ $m == "${models[-1]}" ]] && sep=""
        echo "  \"$m\": {\"quality\": $q, \"params\": $params, \"bytes\": $bytes}$sep"
    done
    echo "}"
} > "$out/results.json"
cat "$out/results.json"
