#!/usr/bin/env bash
# Records PostgreSQL's answers to the BI tools' catalog statements that are about the catalog's
# shape: each statement of tests/clients/bi/<tool>.sql with a `-- compare` line is run against a
# throwaway PostgreSQL holding the catalog the test server has (wire::images_server: the media
# table `images` in `public`, with the columns and types mediasql reports for it), and its rows
# are written to tests/clients/expected/<tool>.txt (format: tests/clients/bi_rows.py), which
# wire::bi_tool_catalog_queries_run compares mediasql's rows with.
#
#   scripts/record-pg-answers.sh [TOOL...]   (default: every tool with a file in tests/clients/bi)
#
# Needs PostgreSQL's server (Debian: postgresql; the newest in /usr/lib/postgresql, or PG_BIN)
# and the test tools' virtualenv (scripts/install-test-tools.sh: psycopg). As root, the cluster
# runs as the postgres user. Re-run it after changing a `-- compare` line or the media schema
# (src/catalog/mod.rs), and commit the files it writes.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
PYTHON="${MEDIASQL_TOOLS_VENV:-$HOME/.cache/mediasql/venv}/bin/python"
PORT="${PG_PORT:-55439}"
work="$(mktemp -d /tmp/mediasql-pg-answers-XXXX)"
chmod 755 "$work"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_postgres "$PG_BIN/initdb" -D "$work/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $PORT -k $work/pg -c listen_addresses=127.0.0.1 -c TimeZone=UTC" start >/dev/null \
  || { cat "$work/pg/server.log"; exit 1; }

psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" "$@"; }
# The test server's catalog: database mediasql, its user tester (a superuser, so that no
# grant shows in an ACL column: mediasql lists none), schema public owned by postgres as
# mediasql reports it, and the media table `images` with
# the types mediasql gives its columns (src/catalog/mod.rs media_schema: Utf8 -> text,
# Int64 -> bigint, Timestamp(us, UTC) -> timestamptz, Int32 -> integer, Float64 -> double
# precision, Binary -> bytea; path, size and modified are NOT NULL).
psql -U postgres -d postgres -c "CREATE ROLE tester LOGIN SUPERUSER" -c "CREATE DATABASE mediasql"
psql -U postgres -d mediasql <<'SQL'
ALTER SCHEMA public OWNER TO postgres;
CREATE TABLE public.images (
  path text NOT NULL,
  size bigint NOT NULL,
  modified timestamp with time zone NOT NULL,
  mime text,
  kind text,
  width integer,
  height integer,
  format text,
  duration_s double precision,
  sample_rate integer,
  channels integer,
  codec text,
  pages integer,
  fps double precision,
  frames bigint,
  content bytea
);
SQL

"$PYTHON" - "$PORT" "$@" <<'PY'
"""Runs the `-- compare` statements of each tool's file on PostgreSQL; writes their rows."""
import pathlib
import re
import sys

import psycopg

sys.path.insert(0, "tests/clients")
from bi_rows import block, ends_ordered, escape, parameters, pgresult_rows, statements  # noqa: E402

port, tools = sys.argv[1], sys.argv[2:]
folder, out = pathlib.Path("tests/clients/bi"), pathlib.Path("tests/clients/expected")
out.mkdir(exist_ok=True)
tools = tools or sorted(p.stem for p in folder.glob("*.sql"))
connect = f"host=127.0.0.1 port={port} dbname=mediasql user=tester"
with psycopg.connect(connect, autocommit=True) as conn:
    version = conn.execute("SHOW server_version").fetchone()[0]


def dedup(names):
    """A name that repeats is `name#2` its second time, and so on."""
    seen, named = {}, []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        named.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return named


for tool in tools:
    blocks = [f"# PostgreSQL {version}'s answers to the statements of tests/clients/bi/{tool}.sql "
              "marked `-- compare`.\n# Written by scripts/record-pg-answers.sh: re-run it, do not edit.\n"]
    for index, source, sql, comments, compare in statements(folder / f"{tool}.sql"):
        if compare is None:
            continue
        with psycopg.connect(connect, autocommit=True) as conn:
            used = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
            if used:
                values = parameters(conn, comments)
                result = conn.pgconn.exec_params(
                    sql.encode(), [values[n][0].encode() for n in range(1, max(used) + 1)],
                    [values[n][1] for n in range(1, max(used) + 1)])
            else:
                result = conn.pgconn.exec_(sql.encode())
            if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
                sys.exit(f"{tool} statement {index}: {result.error_message.decode().strip()}")
            names, rows = pgresult_rows(result)
        names = dedup(names)
        wanted = compare or names
        missing = [c for c in wanted if c not in names]
        if missing:
            sys.exit(f"{tool} statement {index}: no column {missing} in {names}")
        rows = [[row[names.index(c)] for c in wanted] for row in rows]
        ordered = ends_ordered(sql)
        if not ordered:
            rows.sort(key=lambda row: "\t".join(escape(v) for v in row))
        blocks.append(block(index, "ordered" if ordered else "sorted", wanted, rows, source[:90]))
    (out / f"{tool}.txt").write_text("".join(blocks))
    print(f"{tool}: {len(blocks) - 1} statements recorded in {out / (tool + '.txt')}")
PY
