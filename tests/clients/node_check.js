// node-postgres (pg) as Node users use it: parameterised queries, typed results, errors with
// their SQLSTATE, a session that survives them. Run by tests/wire.rs with NODE_PATH pointing
// at the pg package scripts/install-test-tools.sh installs. Prints OK when every check passed.
const { Client } = require("pg");

const port = Number(process.argv[2]);
const assert = (ok, what) => {
  if (!ok) throw new Error(what);
};

(async () => {
  const client = new Client({ host: "127.0.0.1", port, user: "tester", database: "mediasql" });
  await client.connect();
  const version = await client.query("SELECT version() AS v");
  assert(version.rows[0].v.startsWith("PostgreSQL 16"), version.rows[0].v);
  const typed = await client.query("SELECT $1::int AS n, $2::float8 AS f", [41, 1.5]);
  assert(typed.rows[0].n === 41 && typed.rows[0].f === 1.5, JSON.stringify(typed.rows));
  // An integer literal beside an int4 is an int4, as in PostgreSQL: the sum is the number 42
  // (pg returns bigints as strings).
  const sum = await client.query("SELECT $1::int + 1 AS n", [41]);
  assert(sum.rows[0].n === 42, JSON.stringify(sum.rows));
  // LIMIT $1 is a bigint parameter; integer overflow is 22003, as in PostgreSQL.
  const limited = await client.query("SELECT path FROM images ORDER BY path LIMIT $1", [2]);
  assert(limited.rows.length === 2, JSON.stringify(limited.rows));
  try {
    await client.query("SELECT $1::int + 1 AS n", [2147483647]);
    assert(false, "no error");
  } catch (e) {
    assert(e.code === "22003" && e.message === "integer out of range", `${e.code} ${e.message}`);
  }
  const images = await client.query(
    "SELECT path, width FROM images WHERE width > $1 ORDER BY path",
    [500],
  );
  assert(images.rows.length === 3 && images.rows[2].width === 600, JSON.stringify(images.rows));
  // An untyped parameter is text, as PostgreSQL types it.
  const echoed = await client.query("SELECT $1 AS x", ["hello"]);
  assert(echoed.rows[0].x === "hello", JSON.stringify(echoed.rows));
  try {
    await client.query("SELECT * FROM no_such_table");
    assert(false, "no error");
  } catch (e) {
    assert(e.code === "42P01", `${e.code} ${e.message}`);
  }
  const after = await client.query("SELECT count(*)::int AS n FROM images");
  assert(after.rows[0].n === 6, JSON.stringify(after.rows));
  await client.end();
  console.log("OK");
})().catch((e) => {
  console.log(`FAIL: ${e.message}`);
  process.exit(1);
});
