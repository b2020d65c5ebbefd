"""Replays what a psycopg 3 application does against a mediasql server (argv[1] = port).

Server-side parameters (%s, extended protocol), text and binary results, bytea, a syntax
error with its SQLSTATE and a working session afterwards. Prints OK on success.
"""
import datetime
import sys

import psycopg

port = sys.argv[1]
with psycopg.connect(f"host=127.0.0.1 port={port} user=app dbname=media", autocommit=True) as conn:
    cur = conn.cursor()
    cur.execute(
        "SELECT path, width, height FROM read_media('sql-tests/fixtures/images') "
        "WHERE width > %s ORDER BY path",
        (500,),
    )
    rows = cur.fetchall()
    assert [r[0].rsplit("/", 1)[1] for r in rows] == ["astronaut.jpg", "camera.png", "coffee.jpg"], rows
    assert rows[2][1:] == (600, 400), rows

    binary = conn.cursor(binary=True)
    binary.execute(
        "SELECT path, size, modified, duration_s, content FROM read_media('sql-tests/fixtures/audio') "
        "WHERE path LIKE %s",
        ("%harbor.wav",),
    )
    path, size, modified, duration, content = binary.fetchone()
    assert size == 106070 and len(content) == size and content[:4] == b"RIFF", (path, size)
    assert isinstance(modified, datetime.datetime) and modified.tzinfo is not None
    assert abs(duration - 3.3133) < 1e-3, duration

    cur.execute("SELECT %s::text, %s::float8, %s::date", ("x", 1.5, datetime.date(2024, 1, 2)))
    assert cur.fetchone() == ("x", 1.5, datetime.date(2024, 1, 2))

    try:
        cur.execute("SELEC 1")
        raise AssertionError("a syntax error was accepted")
    except psycopg.errors.SyntaxError as e:
        assert e.sqlstate == "42601", e.sqlstate
    cur.execute("SELECT 1 + %s", (41,))
    assert cur.fetchone() == (42,)

    # Parameters are planned with the types psycopg declares, as PostgreSQL plans them.
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    cur.execute("SELECT %s, %s, %s, %s, %s", (42, 1.5, True, now, [1.0, 2.0]))
    assert cur.fetchone() == (42, 1.5, True, now, [1.0, 2.0])
    assert [d.type_code for d in cur.description] == [21, 701, 16, 1184, 1022], cur.description
    cur.execute("SELECT cosine_similarity(%s, %s)", ([1.0, 0.0], [0.0, 1.0]))
    assert cur.fetchone() == (0.0,)

    # COPY TO STDOUT in each format, as psycopg's copy() reads it.
    query = "COPY (SELECT path, width FROM read_media('sql-tests/fixtures/images') WHERE width > 500 ORDER BY path) TO STDOUT"
    with cur.copy(query + " (FORMAT csv, HEADER)") as copy:
        csv_text = b"".join(bytes(chunk) for chunk in copy).decode()
    lines = csv_text.splitlines()
    assert lines[0] == "path,width" and lines[1].endswith("astronaut.jpg,512"), lines
    with cur.copy(query) as copy:
        copy.set_types(["text", "int4"])
        rows = list(copy.rows())
    assert len(rows) == 3 and rows[2][0].endswith("coffee.jpg") and rows[2][1] == 600, rows
    with cur.copy(query + " (FORMAT binary)") as copy:
        copy.set_types(["text", "int4"])
        binary_rows = list(copy.rows())
    assert binary_rows == rows, binary_rows
    cur.execute("SELECT 1")  # the session goes on after COPY
    assert cur.fetchone() == (1,)

# conn.cancel() stops a long statement (SQLSTATE 57014) and the session goes on.
import threading
import time

with psycopg.connect(f"host=127.0.0.1 port={port} dbname=mediasql user=tester", autocommit=True) as conn:
    threading.Timer(0.5, conn.cancel).start()
    started = time.monotonic()
    try:
        conn.execute("SELECT sum(x) FROM generate_series(1, 100000000000) t(x)").fetchone()
        raise AssertionError("the statement was not cancelled")
    except psycopg.errors.QueryCanceled:
        assert time.monotonic() - started < 10
    assert conn.execute("SELECT 1").fetchone() == (1,)

# A server-side cursor: DECLARE with a parameter, the cursor described as a portal, FETCHes.
with psycopg.connect(f"host=127.0.0.1 port={port} dbname=mediasql user=tester") as conn:
    with conn.cursor(name="images_cursor") as server_side:
        server_side.itersize = 2
        server_side.execute(
            "SELECT path FROM read_media('sql-tests/fixtures/images') WHERE size > %s ORDER BY path",
            (0,),
        )
        assert [d.name for d in server_side.description] == ["path"]
        first = server_side.fetchmany(3)
        rest = list(server_side)
        assert len(first) == 3 and len(first) + len(rest) == 6, (first, rest)
print("OK")
