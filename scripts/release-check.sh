#!/usr/bin/env bash
# Builds the release binary (what `cargo install --path .` builds), times the build, and
# checks it once: a scan/aggregate query and a model query, each timed in the release and
# the dev binary. Needs what scripts/install-build-deps.sh and install-models.sh install.
# Usage: scripts/release-check.sh [images-dir]   (default: the fixture photos)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
images="${1:-sql-tests/fixtures/images}"
start=$(date +%s)
cargo build --release --locked
echo "release build: $(($(date +%s) - start)) s"
cargo build --locked
aggregate="SELECT count(*), sum(v % 7), avg(v) FROM generate_series(1, 50000000) AS t(v)"
model="SELECT count(*) FROM (SELECT classify(content)['label'] AS l FROM read_media('$images') \
WHERE kind = 'image' AND path NOT LIKE '%corrupt%') WHERE l <> ''"
for profile in release debug; do
  for query in "$aggregate" "$model"; do
    begin=$(date +%s%N)
    "$target/$profile/mediasql" query "$query" >/dev/null
    ms=$((($(date +%s%N) - begin) / 1000000))
    printf '%-7s %4d.%03d s  %s\n' "$profile" $((ms / 1000)) $((ms % 1000)) "${query:0:60}"
  done
done
