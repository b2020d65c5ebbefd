#!/usr/bin/env bash
# The inference cache's bench: the same `mediasql query` three ways over the same data —
# without a cache (--cache-dir none), with an empty cache (the first run: it computes and
# keeps every result) and again (the second run: every result is kept, no body is read).
#
#   benches/inference_cache/run.sh [BINARY]   (default target/debug/mediasql)
#
# Workloads (generated here, deterministic, every item distinct so that nothing is found
# twice within a run): classify over IMAGES JPEGs (default 2,000, copies of the fixture
# photos each with distinct bytes after its end), transcribe over CLIPS WAV clips (default
# 24, 3.9 s each) and embed_text over TEXTS chunks of 20-60 words (default 3,000). Each time
# is a whole process: start, model load, query. The runs without a cache and the first runs
# alternate, REPEAT times (default 2); the table gives the median of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/mediasql}"
IMAGES="${IMAGES:-2000}"
CLIPS="${CLIPS:-24}"
TEXTS="${TEXTS:-3000}"
REPEAT="${REPEAT:-2}"
[ -x "$BIN" ] || { echo "no mediasql binary at $BIN (cargo build first, or pass its path)" >&2; exit 1; }
work="$(mktemp -d /tmp/mediasql-cache-bench-XXXX)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/images" "$work/clips"
photos=(sql-tests/fixtures/images/chelsea.jpg sql-tests/fixtures/images/coffee.jpg sql-tests/fixtures/images/astronaut.jpg)
for i in $(seq 0 $((IMAGES - 1))); do
  f="$work/images/$(printf %05d "$i").jpg"
  cp "${photos[$((i % 3))]}" "$f"
  printf 'copy %d' "$i" >> "$f"
done
for i in $(seq 0 $((CLIPS - 1))); do
  f="$work/clips/$(printf %03d "$i").wav"
  cp demo/media/audio/harbor.wav "$f"
  printf 'copy %d' "$i" >> "$f"
done

# shellcheck source=benches/lib.sh
. benches/lib.sh

classify="SELECT classify(content)['label'] AS label, count(*) FROM read_media('$work/images') GROUP BY 1"
transcribe="SELECT count(*), sum(length(transcribe(content))) FROM read_media('$work/clips')"
words="'harbor kites flew over the quiet water at dawn while seven purple boats '"
embed="SELECT count(*), sum(cardinality(embed_text(concat('chunk ', n, ' ', repeat($words, 2 + n % 4))))) FROM generate_series(1, $TEXTS) AS t(n)"

echo "| workload | items | no cache (s) | first run (s) | ratio | second run (s) | speed-up |"
echo "|---|---|---|---|---|---|---|"
run() {
  local name="$1" items="$2" sql="$3"
  local off=() first=() second=()
  for _ in $(seq "$REPEAT"); do
    local cache="$work/cache-$name-$RANDOM"
    off+=("$(seconds "$BIN" query --cache-dir none "$sql")")
    first+=("$(seconds "$BIN" query --cache-dir "$cache" "$sql")")
    second+=("$(seconds "$BIN" query --cache-dir "$cache" "$sql")")
    rm -rf "$cache"
  done
  local o f s
  o=$(median "${off[@]}"); f=$(median "${first[@]}"); s=$(median "${second[@]}")
  printf '| %s | %s | %.2f | %.2f | %.3f | %.2f | %.1fx |\n' "$name" "$items" "$o" "$f" \
    "$(echo "$f / $o" | bc -l)" "$s" "$(echo "$f / $s" | bc -l)"
}
run classify "$IMAGES" "$classify"
run transcribe "$CLIPS" "$transcribe"
run embed_text "$TEXTS" "$embed"
echo
echo "$(nproc) cores, $(uname -m), $("$BIN" --version), $(date -u +%Y-%m-%d)"
