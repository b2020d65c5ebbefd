"""Drivers and libraries Python users reach mediasql with: asyncpg, psycopg2, SQLAlchemy 2
(its inspector, as Superset and pandas use it) and pandas.read_sql. Run by tests/wire.rs
against a test server with an `images` table; prints OK when every check passed."""
import asyncio
import sys

port = int(sys.argv[1])
checks = []


def check(name):
    def register(fn):
        checks.append((name, fn))
        return fn
    return register


@check("asyncpg: prepared statements, inferred parameter types, arrays, binary rows, errors")
def asyncpg_check():
    import asyncpg

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="tester", database="mediasql")
        assert await conn.fetchval("SELECT $1::int + 1", 41) == 42
        assert await conn.fetchval("SELECT $1 + 1", 41) == 42
        # LIMIT/OFFSET parameters are bigints, as PostgreSQL describes them.
        rows = await conn.fetch("SELECT path FROM images ORDER BY path LIMIT $1 OFFSET $2", 3, 1)
        assert len(rows) == 3, rows
        try:
            await conn.fetchval("SELECT $1::int * 2", 2147483647)
            raise AssertionError("no error")
        except asyncpg.exceptions.NumericValueOutOfRangeError as e:
            assert str(e) == "integer out of range", e
        rows = await conn.fetch("SELECT path, width FROM images WHERE width > $1 ORDER BY path", 500)
        assert [r["path"].rsplit("/", 1)[1] for r in rows] == ["astronaut.jpg", "camera.png", "coffee.jpg"], rows
        statement = await conn.prepare("SELECT path, size FROM images WHERE size > $1 ORDER BY path")
        assert [a.name for a in statement.get_attributes()] == ["path", "size"]
        assert len(await statement.fetch(0)) == 6
        # Arrays: asyncpg builds their codecs with its type-introspection query first.
        assert await conn.fetchval("SELECT $1::float8[]", [1.0, 2.5]) == [1.0, 2.5]
        similarity = await conn.fetchval("SELECT cosine_similarity($1::float4[], $2::float4[])", [1.0, 0.0], [2.0, 0.0])
        assert abs(similarity - 1.0) < 1e-6, similarity
        assert await conn.fetchval("SELECT count(*) FROM images WHERE kind = ANY($1)", ["image"]) == 6
        assert await conn.fetchval("SELECT $1::text", "x") == "x"
        assert await conn.fetchval("SELECT $1::float8 * 2", 1.5) == 3.0
        try:
            await conn.fetchval("SELECT * FROM no_such_table")
            raise AssertionError("no error")
        except asyncpg.exceptions.UndefinedTableError:
            pass
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()

    asyncio.run(run())


@check("psycopg2: client-side parameters, server version, errors")
def psycopg2_check():
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=port, user="tester", dbname="mediasql")
    assert conn.server_version >= 160000, conn.server_version
    cur = conn.cursor()
    cur.execute("SELECT path, width FROM images WHERE width > %s ORDER BY path", (500,))
    assert len(cur.fetchall()) == 3
    cur.execute("SELECT now()")
    assert cur.description[0].type_code == 1184, cur.description
    try:
        cur.execute("SELEC 1")
        raise AssertionError("no error")
    except psycopg2.errors.SyntaxError:
        conn.rollback()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    conn.close()


@check("SQLAlchemy 2: connect (version parse), inspector (schemas, tables, columns, keys), reflection, Core query")
def sqlalchemy_check():
    import sqlalchemy as sa

    engine = sa.create_engine(f"postgresql+psycopg://tester@127.0.0.1:{port}/mediasql")
    with engine.connect() as conn:
        assert conn.dialect.server_version_info[:1] == (16,), conn.dialect.server_version_info
        inspector = sa.inspect(conn)
        assert "public" in inspector.get_schema_names()
        assert "images" in inspector.get_table_names()
        assert inspector.get_view_names() == []
        assert inspector.has_table("images") and not inspector.has_table("nope")
        assert inspector.get_pk_constraint("images")["constrained_columns"] == []
        assert inspector.get_foreign_keys("images") == []
        assert inspector.get_unique_constraints("images") == []
        assert inspector.get_check_constraints("images") == []
        assert inspector.get_indexes("images") == []
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("images")}
        assert columns["path"] == "TEXT" and columns["width"] == "INTEGER", columns
        assert columns["content"] == "BYTEA" and columns["duration_s"] == "DOUBLE PRECISION"
        # Reflection (what pandas.read_sql_table, Superset and Alembic do).
        table = sa.Table("images", sa.MetaData(), autoload_with=conn)
        query = sa.select(sa.func.count()).select_from(table).where(table.c.width > 500)
        assert conn.execute(query).scalar() == 3


@check("pandas.read_sql over SQLAlchemy")
def pandas_check():
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"postgresql+psycopg://tester@127.0.0.1:{port}/mediasql")
    frame = pd.read_sql("SELECT path, width, height FROM images ORDER BY path", engine)
    assert list(frame.columns) == ["path", "width", "height"]
    assert len(frame) == 6 and frame["width"].max() == 600, frame


failures = []
for name, fn in checks:
    try:
        fn()
        print(f"pass: {name}")
    except Exception as e:  # noqa: BLE001 - report every failing client, not only the first
        failures.append(name)
        print(f"FAIL: {name}: {type(e).__name__}: {e}")
print(f"{len(checks) - len(failures)} of {len(checks)} client checks passed")
if not failures:
    print("OK")
sys.exit(1 if failures else 0)
