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
print("OK")
