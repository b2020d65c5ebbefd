#!/usr/bin/env bash
# Rows to psql: the same table (ROWS rows, 6 columns: int8, float8, text, timestamp, bool, int4)
# served by mediasql (a Parquet file) and by PostgreSQL (a heap table), each read whole by
# `psql -At -o /dev/null` REPEAT times, alternating; prints each median and the ratio.
#
#   benches/wire/vs_postgres.sh [BINARY]   (default target/debug/mediasql; ROWS=1000000 REPEAT=5)
#
# Needs PostgreSQL's server (Debian: postgresql) and psql. Runs as root by starting the
# cluster as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/mediasql}"
ROWS="${ROWS:-1000000}"
REPEAT="${REPEAT:-5}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
work="$(mktemp -d /tmp/mediasql-wire-XXXX)"
chmod 755 "$work"
pg_port=55432
ms_port=55433
cleanup() {
  [ -n "${ms_pid:-}" ] && kill "$ms_pid" 2>/dev/null || true
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/t.csv" "$ROWS" <<'PY'
import sys, datetime
path, rows = sys.argv[1], int(sys.argv[2])
start = datetime.datetime(2026, 1, 1)
with open(path, "w") as f:
    f.write("id,x,name,ts,flag,n\n")
    for i in range(rows):
        ts = start + datetime.timedelta(seconds=i * 37)
        f.write(f"{i},{i * 0.25},name-{i % 9973},{ts:%Y-%m-%d %H:%M:%S},{'true' if i % 3 else 'false'},{i % 100000}\n")
PY
chmod 644 "$work/t.csv"

# PostgreSQL
mkdir "$work/pg" && chown postgres "$work/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" -l "$work/pg/server.log" -w start >/dev/null || { cat "$work/pg/server.log"; exit 1; }
psql -h 127.0.0.1 -p $pg_port -U postgres -q -c "CREATE TABLE t (id int8, x float8, name text, ts timestamp, flag bool, n int4)" \
  -c "\\copy t FROM '$work/t.csv' CSV HEADER" -c "VACUUM ANALYZE t"

# mediasql: the CSV as Parquet, then served
cat > "$work/mediasql.toml" <<TOML
auth = "trust"
allow_writes = true
media_roots = ["$work"]
TOML
"$BIN" serve --config "$work/mediasql.toml" --listen 127.0.0.1:$ms_port >"$work/server.log" 2>&1 &
ms_pid=$!
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p $ms_port && break; sleep 0.1; done
ms() { psql -h 127.0.0.1 -p $ms_port -U mediasql -q "$@"; }
ms -c "CREATE EXTERNAL TABLE c (id BIGINT, x DOUBLE, name VARCHAR, ts TIMESTAMP, flag BOOLEAN, n INT) STORED AS CSV LOCATION '$work/t.csv' OPTIONS ('format.has_header' 'true')"
ms -o /dev/null -c "COPY c TO '$work/t.parquet' STORED AS PARQUET"
ms -c "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '$work/t.parquet'"

time_query() {  # port user: seconds for one full read
  local start end
  start=$(date +%s.%N)
  psql -h 127.0.0.1 -p "$1" -U "$2" -At -o /dev/null -c "SELECT * FROM t"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
pg_times=(); ms_times=()
for _ in $(seq "$REPEAT"); do
  pg_times+=("$(time_query $pg_port postgres)")
  ms_times+=("$(time_query $ms_port mediasql)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pg=$(median "${pg_times[@]}"); msq=$(median "${ms_times[@]}")
echo "rows=$ROWS postgres_s=$pg mediasql_s=$msq ratio=$(echo "scale=2; $msq / $pg" | bc)"
echo "postgres: ${pg_times[*]}"
echo "mediasql: ${ms_times[*]}"
