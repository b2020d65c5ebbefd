"""Replays the catalog queries BI tools and SQL clients send (tests/clients/bi/<tool>.sql,
taken from each project's public sources; see the `-- source:` line above each query) and
reports, per tool, how many run. Queries with `$n` parameters are sent with the extended
protocol and the values their `-- $1 = ...` comment names, typed as the tool's driver types
them (JDBC: int8 for numbers, varchar for strings) or as the value says (`'{r,p}'::unknown`).

Each tool's queries go through the Python driver the tool uses (DRIVERS): psycopg2, which
sends them with the simple protocol, for SQLAlchemy 2's default dialect and Superset;
psycopg 3, with the extended protocol, for pgAdmin and pgcli. The JDBC tools (DBeaver,
Metabase) are replayed through pgjdbc by BiReplay.java, Grafana through pgx by
grafana_replay.go.

Usage: bi_replay.py PORT TOOL=MIN...: replays the tools named, and exits non-zero when fewer
than MIN queries of TOOL run (the floor each tool has reached: a regression guard; the report
shows what still fails).

With MEDIASQL_BI_ROWS set to a folder, the rows of each statement marked `-- compare` are
written to <folder>/<tool>.rows, as text (see bi_rows.py), for wire::bi_tool_catalog_queries_run
to compare with PostgreSQL's (tests/clients/expected/<tool>.txt)."""
import os
import pathlib
import re
import sys

import psycopg
import psycopg2
import psycopg2.extensions

from bi_rows import block, error_block, parameters, pgresult_rows, statements

DRIVERS = {"sqlalchemy2": "psycopg2", "superset": "psycopg2"}
port = int(sys.argv[1])
floors = dict((tool, int(n)) for tool, n in (a.split("=") for a in sys.argv[2:]))
folder = pathlib.Path(__file__).parent / "bi"
rows_folder = os.environ.get("MEDIASQL_BI_ROWS")
# psycopg2 returns each value as the text the server sent, not as a Python value.
AS_SENT = psycopg2.extensions.new_type(
    tuple(psycopg2.extensions.string_types), "AS_SENT", lambda value, cursor: value)


def run_psycopg2(sql):
    """`sql` as psycopg2 sends a statement without parameters: one simple-protocol Query.
    Returns its column names and rows, as text."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="mediasql", user="tester")
    try:
        conn.autocommit = True
        psycopg2.extensions.register_type(AS_SENT, conn)
        with conn.cursor() as cur:
            cur.execute(sql)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()
    finally:
        conn.close()


def run(conn, sql, comments):
    """Runs `sql` as psycopg 3 does; returns its column names and rows, as text."""
    used = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
    if not used:
        cur = conn.execute(sql, prepare=False)
        return pgresult_rows(cur.pgresult) if cur.pgresult is not None else ([], [])
    values = parameters(conn, comments)
    missing = [n for n in used if n not in values]
    if missing:
        raise LookupError(f"no value given for ${missing[0]}")
    texts = [values[n][0].encode() for n in range(1, max(used) + 1)]
    types = [values[n][1] for n in range(1, max(used) + 1)]
    result = conn.pgconn.exec_params(sql.encode(), texts, types)
    if result.status not in (psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.COMMAND_OK):
        raise RuntimeError(result.error_message.decode(errors="replace"))
    return pgresult_rows(result)


below = []
for tool in floors:
    path = folder / f"{tool}.sql"
    driver = DRIVERS.get(tool, "psycopg")
    ok, failures, kept = 0, [], []
    for index, source, sql, comments, compare in statements(path):
        try:
            if driver == "psycopg2" and not re.search(r"\$\d", sql):
                names, rows = run_psycopg2(sql)
            else:
                with psycopg.connect(f"host=127.0.0.1 port={port} dbname=mediasql user=tester",
                                     autocommit=True) as conn:
                    names, rows = run(conn, sql, comments)
            ok += 1
            if compare is not None:
                kept.append(block(index, "rows", names, rows))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            message = (str(e).strip().splitlines() or [type(e).__name__])[0]
            failures.append((source[:100], message[:160]))
            if compare is not None:
                kept.append(error_block(index, message))
    if rows_folder:
        pathlib.Path(rows_folder, f"{tool}.rows").write_text("".join(kept))
    print(f"{tool}: {ok} of {ok + len(failures)} queries ran ({driver})")
    for source, error in failures:
        print(f"    {source}: {error}")
    if ok < floors.get(tool, 0):
        below.append(f"{tool} ({ok} < {floors[tool]})")
if below:
    print("below the floor: " + ", ".join(below))
else:
    print("OK")
sys.exit(1 if below else 0)
