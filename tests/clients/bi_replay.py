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
shows what still fails)."""
import pathlib
import re
import sys

import psycopg
import psycopg2

DRIVERS = {"sqlalchemy2": "psycopg2", "superset": "psycopg2"}
port = int(sys.argv[1])
floors = dict((tool, int(n)) for tool, n in (a.split("=") for a in sys.argv[2:]))
folder = pathlib.Path(__file__).parent / "bi"
VALUE = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|-?\d+|oid of (?:schema|table) \w+)(?:::(\w+(?:\[\])?))?")
# Types a value may name (`'{23,25}'::int4[]`); a quoted value is varchar otherwise, a number int8.
TYPE_OIDS = {"unknown": 0, "text": 25, "varchar": 1043, "int8": 20, "int4": 23, "int2[]": 1005, "int4[]": 1007}
OID_OF = {
    "schema": "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s",
    "table": "SELECT oid FROM pg_catalog.pg_class WHERE relname = %s",
}


def parameters(conn, comments):
    """$n -> (text, type oid) from the `-- $1 = ...` comments; None when one is not given."""
    values = {}
    for comment in comments:
        for n, value, type_name in VALUE.findall(comment):
            if value.startswith("'"):
                values[int(n)] = (value[1:-1].replace("''", "'"), 1043)
            elif value.startswith("oid of"):
                _, _, kind, name = value.split()
                oid = conn.execute(OID_OF[kind], (name,)).fetchone()
                values[int(n)] = (str(oid[0]) if oid else "0", 20)
            else:
                values[int(n)] = (value, 20)
            if type_name:
                values[int(n)] = (values[int(n)][0], TYPE_OIDS[type_name])
    return values


def queries(path):
    for chunk in path.read_text().split("\n-- next\n"):
        lines = chunk.strip("\n").splitlines()
        source = next((l for l in lines if l.startswith("-- source:")), "-- source: ?")
        comments = [l for l in lines if l.startswith("-- ") and not l.startswith("-- ping")]
        body = [l for l in lines if l not in comments]
        sql = "\n".join(body).strip()
        if sql:
            yield source[len("-- source: "):][:100], sql, comments


def run_psycopg2(sql):
    """`sql` as psycopg2 sends a statement without parameters: one simple-protocol Query."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="mediasql", user="tester")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
            if cur.description is not None:
                cur.fetchall()
    finally:
        conn.close()


def run(conn, sql, comments):
    used = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
    if not used:
        conn.execute(sql, prepare=False)
        return
    values = parameters(conn, comments)
    missing = [n for n in used if n not in values]
    if missing:
        raise LookupError(f"no value given for ${missing[0]}")
    texts = [values[n][0].encode() for n in range(1, max(used) + 1)]
    types = [values[n][1] for n in range(1, max(used) + 1)]
    result = conn.pgconn.exec_params(sql.encode(), texts, types)
    if result.status not in (psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.COMMAND_OK):
        raise RuntimeError(result.error_message.decode(errors="replace"))


below = []
for tool in floors:
    path = folder / f"{tool}.sql"
    driver = DRIVERS.get(tool, "psycopg")
    ok, failures = 0, []
    for source, sql, comments in queries(path):
        try:
            if driver == "psycopg2" and not re.search(r"\$\d", sql):
                run_psycopg2(sql)
            else:
                with psycopg.connect(f"host=127.0.0.1 port={port} dbname=mediasql user=tester",
                                     autocommit=True) as conn:
                    run(conn, sql, comments)
            ok += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported
            message = (str(e).strip().splitlines() or [type(e).__name__])[0]
            failures.append((source, message[:160]))
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
