#!/usr/bin/env bash
# classify over N JPEGs (default 2,000): one `mediasql query` process with all cores, against
# a scheduler and two executors of one thread each on the same machine (`--cluster`); then
# the cluster's fixed costs: a query over 10,000 listed files (no reads) and the cost of a
# task (the same query in 2 and in 64 partitions).
#
#   benches/cluster/vs_one_process.sh [BINARY]   (default target/debug/mediasql; IMAGES=2000)
#
# The one-process time includes its start and model load; the cluster is timed once cold
# (executors just started: they load the model) and once warm (models loaded, as a running
# cluster is).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/mediasql}"
IMAGES="${IMAGES:-2000}"
[ -x "$BIN" ] || { echo "no mediasql binary at $BIN (cargo build first, or pass its path)" >&2; exit 1; }
work="$(mktemp -d /tmp/mediasql-cluster-bench-XXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/images" "$work/listed"
fixtures=(sql-tests/fixtures/images/chelsea.jpg sql-tests/fixtures/images/coffee.jpg sql-tests/fixtures/images/astronaut.jpg)
for i in $(seq 0 $((IMAGES - 1))); do
  cp "${fixtures[$((i % 3))]}" "$work/images/$(printf %05d "$i").jpg"
done
for i in $(seq 0 9999); do : > "$work/listed/$(printf %05d "$i").txt"; done

# shellcheck source=benches/lib.sh
. benches/lib.sh
classify="SELECT classify(content)['label'] AS label, count(*) FROM read_media('$work/images') GROUP BY 1"
listing="SELECT count(*) FROM read_media('$work/listed')"

one=$(seconds "$BIN" query "$classify")

port=$((50100 + RANDOM % 1000))
"$BIN" scheduler --listen "127.0.0.1:$port" 2>"$work/scheduler.log" & pids+=($!)
sleep 1
for n in 0 1; do
  ep=$((port + 10 + 10 * n))
  "$BIN" executor --scheduler "df://127.0.0.1:$port" --listen "127.0.0.1:$ep" --threads 1 \
    2>"$work/executor-$n.log" & pids+=($!)
done
sleep 3
cluster=(--cluster "df://127.0.0.1:$port")
cold=$(seconds "$BIN" query "${cluster[@]}" "$classify")
warm=$(seconds "$BIN" query "${cluster[@]}" "$classify")
# One partition per executor slot instead of the cluster default (16).
slots=$(seconds "$BIN" query "${cluster[@]}" "SET datafusion.execution.target_partitions = 2; $classify")
local_listing=$(seconds "$BIN" query "$listing")
cluster_listing=$(seconds "$BIN" query "${cluster[@]}" "$listing")
parts() { echo "SET datafusion.execution.target_partitions = $1; $listing"; }
p2=$(seconds "$BIN" query "${cluster[@]}" "$(parts 2)")
p64=$(seconds "$BIN" query "${cluster[@]}" "$(parts 64)")

rate() { echo "scale=1; $IMAGES / $1" | bc; }
echo "classify over $IMAGES JPEGs ($(nproc) cores)"
echo "  one process, all cores (start and model load included): ${one} s, $(rate "$one") images/s"
echo "  scheduler + 2 executors x 1 thread, cold:               ${cold} s, $(rate "$cold") images/s"
echo "  scheduler + 2 executors x 1 thread, warm:               ${warm} s, $(rate "$warm") images/s"
echo "  the same, 2 partitions (one a slot) instead of 16:       ${slots} s, $(rate "$slots") images/s"
echo "  cluster / one process: cold $(echo "scale=2; $one / $cold" | bc), warm $(echo "scale=2; $one / $warm" | bc), 2 partitions $(echo "scale=2; $one / $slots" | bc)"
echo "count(*) over 10,000 listed files: one process ${local_listing} s, cluster ${cluster_listing} s"
echo "per task: ($p64 - $p2) s / 62 tasks = $(echo "scale=4; ($p64 - $p2) / 62 * 1000" | bc) ms"
