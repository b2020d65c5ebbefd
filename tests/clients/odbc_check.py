"""psqlODBC, the PostgreSQL ODBC driver Tableau, Excel, Power BI and other ODBC tools use,
driven through pyodbc: the catalog calls those tools browse with (SQLTables, SQLColumns,
SQLPrimaryKeys, SQLForeignKeys, SQLStatistics, SQLGetTypeInfo, SQLProcedures, SQLSpecialColumns),
each of which sends psqlODBC's own catalog query, then parameters and errors. Every check runs
twice: with psqlODBC's defaults, and as Tableau configures it (UseDeclareFetch=1: every result
through `DECLARE ... CURSOR` / `FETCH n` / `CLOSE`, here two rows a FETCH), both inside a
transaction and in autocommit. Run by tests/wire.rs against a test server with an `images`
table; prints OK when every check passed."""
import datetime
import sys

import pyodbc

port = int(sys.argv[1])
BASE = (f"DRIVER={{PostgreSQL Unicode}};SERVER=127.0.0.1;PORT={port};DATABASE=mediasql;UID=tester"
        ";CommLog=0;Debug=0")  # Debian turns the driver's CommLog on: no logs in /tmp
SETUPS = {
    "defaults": (BASE, False),
    "Tableau, in a transaction": (BASE + ";UseDeclareFetch=1;Fetch=2", False),
    "Tableau, autocommit": (BASE + ";UseDeclareFetch=1;Fetch=2", True),
}


def catalog(cur):
    tables = cur.tables(tableType="TABLE").fetchall()
    assert ("mediasql", "public", "images", "TABLE") in [tuple(t[:4]) for t in tables], tables
    columns = cur.columns(table="images").fetchall()
    by_name = {c.column_name: c for c in columns}
    assert [c.column_name for c in columns][:3] == ["path", "size", "modified"], columns
    assert by_name["size"].type_name == "int8" and by_name["size"].data_type == pyodbc.SQL_BIGINT
    assert by_name["width"].type_name == "int4", by_name["width"]
    assert cur.primaryKeys("images").fetchall() == []
    assert cur.foreignKeys(table="images").fetchall() == []
    assert cur.foreignKeys(foreignTable="images").fetchall() == []
    assert cur.statistics("images").fetchall() == []
    assert cur.rowIdColumns("images").fetchall() == []
    types = {t.type_name for t in cur.getTypeInfo().fetchall()}
    assert {"int8", "text", "bool", "float8", "timestamptz"} <= types, types
    procedures = {p.procedure_name for p in cur.procedures().fetchall()}
    assert "classify" in procedures, sorted(procedures)
    arguments = {c.column_name: c.type_name for c in cur.procedureColumns(procedure="classify").fetchall()}
    assert arguments.get("image") == "any" and "top_k" in arguments, arguments
    arguments = {c.column_name: c.type_name for c in cur.procedureColumns(procedure="cosine_similarity").fetchall()}
    assert "a" in arguments and "b" in arguments, arguments


def queries(cur):
    rows = cur.execute("SELECT path, width FROM images WHERE width > ? ORDER BY path", 500).fetchall()
    assert [r.path.rsplit("/", 1)[1] for r in rows] == ["astronaut.jpg", "camera.png", "coffee.jpg"], rows
    assert cur.execute("SELECT ? || '!'", "hi").fetchval() == "hi!"
    assert cur.execute("SELECT ? + 1", 41).fetchval() == 42
    assert cur.execute("SELECT CAST(? AS float8) * 2", 1.25).fetchval() == 2.5
    # More rows than one FETCH holds, read in pieces as Tableau does.
    cur.execute("SELECT path, size, modified FROM images ORDER BY path")
    rows = cur.fetchmany(3) + cur.fetchall()
    assert len(rows) == 6, rows
    assert all(isinstance(r.modified, datetime.datetime) and r.size > 0 for r in rows), rows
    # Tableau's own shape of query: quoted, schema-qualified, aliased.
    count = cur.execute('SELECT COUNT(1) AS "cnt" FROM "public"."images" "images" '
                        'WHERE ("images"."kind" = ?)', "image").fetchval()
    assert count == 6, count


def errors(conn, cur):
    try:
        cur.execute("SELECT * FROM no_such_table")
        raise AssertionError("no error")
    except pyodbc.ProgrammingError as e:
        assert e.args[0] == "42P01", e.args
    if not conn.autocommit:
        conn.rollback()
    assert cur.execute("SELECT 1").fetchval() == 1


def main():
    for setup, (connection_string, autocommit) in SETUPS.items():
        conn = pyodbc.connect(connection_string, autocommit=autocommit)
        cur = conn.cursor()
        for name, run in [("catalog", lambda: catalog(cur)), ("queries", lambda: queries(cur)),
                          ("errors", lambda: errors(conn, cur))]:
            try:
                run()
            except Exception as e:
                print(f"FAIL psqlODBC ({setup}) {name}: {e!r}")
                sys.exit(1)
        conn.close()
    print("OK")


main()
