//! What only a real Postgres client shows: the extended protocol with parameters, binary
//! results, errors that leave the session usable, and psql's catalog queries.

use chrono::{DateTime, NaiveDate, Utc};

use crate::common::{TestEnv, TestServer};

mod bi_answers;

async fn server() -> (TestEnv, TestServer) {
    let env = TestEnv::start().await;
    let server = TestServer::start(env.engine().await).await;
    (env, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_with_a_row_limit_suspends_the_portal() {
    let (_env, server) = server().await;
    let mut client = server.connect().await;
    let transaction = client.transaction().await.expect("begin");
    let statement = transaction
        .prepare("SELECT path FROM read_media('sql-tests/fixtures/images') ORDER BY path")
        .await
        .expect("prepare");
    let portal = transaction.bind(&statement, &[]).await.expect("bind");
    let mut fetched = Vec::new();
    loop {
        let rows = transaction.query_portal(&portal, 4).await.expect("execute");
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 4);
        fetched.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    assert_eq!(fetched.len(), 6, "{fetched:?}");
    assert!(fetched[0].ends_with("astronaut.jpg"));
    transaction.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_protocol_binds_parameters_and_returns_binary() {
    let (_env, server) = server().await;
    let client = server.connect().await;

    // tokio-postgres prepares (Parse/Describe), binds typed parameters and reads binary rows.
    let statement = client
        .prepare(
            "SELECT path, width, height FROM read_media('sql-tests/fixtures/images/*.jpg') \
             WHERE width > $1 AND path LIKE $2 ORDER BY path",
        )
        .await
        .expect("prepare");
    assert_eq!(statement.params().len(), 2);
    let rows = client
        .query(&statement, &[&500_i32, &"%coffee%"])
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    let path: &str = rows[0].get(0);
    let (width, height): (i32, i32) = (rows[0].get(1), rows[0].get(2));
    assert_eq!(
        (path, width, height),
        ("sql-tests/fixtures/images/coffee.jpg", 600, 400)
    );

    // The same named statement, executed again with other values.
    let rows = client
        .query(&statement, &[&0_i32, &"%chelsea%"])
        .await
        .expect("query");
    assert_eq!(rows.len(), 2);

    // Binary decoding of several types.
    let row = client
        .query_one(
            "SELECT true, 7::smallint, 8::int, 9::bigint, 1.5::real, 2.5::double, 'x', \
             X'CAFE', DATE '2024-02-29', TIMESTAMP '2024-02-29 12:00:00', \
             arrow_cast(TIMESTAMP '2024-02-29 12:00:00', 'Timestamp(Microsecond, Some(\"UTC\"))'), \
             [1, 2, 3]",
            &[],
        )
        .await
        .expect("types");
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i16>(1), 7);
    assert_eq!(row.get::<_, i32>(2), 8);
    assert_eq!(row.get::<_, i64>(3), 9);
    assert_eq!(row.get::<_, f32>(4), 1.5);
    assert_eq!(row.get::<_, f64>(5), 2.5);
    assert_eq!(row.get::<_, &str>(6), "x");
    assert_eq!(row.get::<_, Vec<u8>>(7), vec![0xca, 0xfe]);
    assert_eq!(
        row.get::<_, NaiveDate>(8),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
    );
    let ts = row.get::<_, chrono::NaiveDateTime>(9);
    assert_eq!(ts.to_string(), "2024-02-29 12:00:00");
    let tz = row.get::<_, DateTime<Utc>>(10);
    assert_eq!(tz.to_rfc3339(), "2024-02-29T12:00:00+00:00");
    assert_eq!(row.get::<_, Vec<i64>>(11), vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_sqlstate_and_the_session_survives() {
    let (_env, server) = server().await;
    let client = server.connect().await;

    let cases = [
        ("SELEC 1", "42601"),
        ("SELECT * FROM no_such_table", "42P01"),
        ("SELECT no_such_function(1)", "42883"),
        (
            "SELECT no_such_column FROM read_media('sql-tests/fixtures/pdf')",
            "42703",
        ),
    ];
    for (sql, code) in cases {
        let err = client.simple_query(sql).await.expect_err(sql);
        let db = err.as_db_error().expect("a server error");
        assert_eq!(db.code().code(), code, "{sql}: {}", db.message());
        // Extended protocol too.
        let err = client.query(sql, &[]).await.expect_err(sql);
        assert_eq!(
            err.as_db_error().expect("db error").code().code(),
            code,
            "{sql}"
        );
        // The next query on the same connection works.
        let row = client
            .query_one("SELECT 41 + 1", &[])
            .await
            .expect("after error");
        assert_eq!(row.get::<_, i64>(0), 42);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_describes_tables() {
    let (_env, server) = server().await;
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE EXTERNAL TABLE photos STORED AS MEDIA LOCATION 'sql-tests/fixtures/images' \
             OPTIONS ('kind' 'image')",
        )
        .await
        .expect("create table");

    // What psql 15 sends for `\dt`.
    let dt = "SELECT n.nspname as \"Schema\", c.relname as \"Name\", \
        CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' \
        WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' \
        WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' \
        WHEN 'I' THEN 'partitioned index' END as \"Type\", \
        pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\" \
        FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam \
        WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' \
        AND n.nspname !~ '^pg_toast' AND n.nspname <> 'information_schema' \
        AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2;";
    let rows = client.simple_query(dt).await.expect("\\dt");
    let names: Vec<String> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(1).map(str::to_string),
            _ => None,
        })
        .collect();
    assert!(
        names.contains(&"photos".to_string()),
        "\\dt listed {names:?}"
    );

    // `\d photos`: find the table's oid, then its columns.
    let find = "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c \
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
        WHERE c.relname OPERATOR(pg_catalog.~) '^(photos)$' COLLATE pg_catalog.default \
        AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;";
    let rows = client.simple_query(find).await.expect("\\d lookup");
    let oid = rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .expect("photos has an oid");
    let columns = format!(
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
         (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d \
          WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), \
         a.attnotnull, (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t \
          WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation, \
         a.attidentity, a.attgenerated \
         FROM pg_catalog.pg_attribute a WHERE a.attrelid = '{oid}' AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum;"
    );
    let rows = client.simple_query(&columns).await.expect("\\d columns");
    let described: Vec<(String, String)> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((r.get(0)?.to_string(), r.get(1)?.to_string()))
            }
            _ => None,
        })
        .collect();
    let names: Vec<&str> = described.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..3], ["path", "size", "modified"], "{described:?}");
    assert!(
        names.contains(&"width") && names.contains(&"content"),
        "{described:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psycopg_queries_with_parameters_and_binary_results() {
    let (_env, server) = server().await;
    let python = crate::common::tools_venv().join("bin/python");
    let args = vec![
        "tests/clients/psycopg_check.py".to_string(),
        server.addr.port().to_string(),
    ];
    run_client_check(python, args).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_query_sends_progress_notices() {
    let _shared = crate::common::busy_cpu().await;
    // The model must run long enough to report progress: nothing from a cache.
    let config = mediasql::config::Config {
        cache_dir: None,
        ..mediasql::config::Config::default()
    };
    let engine = mediasql::engine::Engine::new(&config).unwrap();
    let server = TestServer::start(engine).await;
    let config = format!("host=127.0.0.1 port={} user=tester", server.addr.port());
    let (client, mut connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
        .await
        .unwrap();
    let (tx, mut notices) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) =
            futures::future::poll_fn(|cx| connection.poll_message(cx)).await
        {
            if let tokio_postgres::AsyncMessage::Notice(notice) = message {
                let _ = tx.send(notice.message().to_string());
            }
        }
    });

    client
        .batch_execute("SET mediasql.progress_interval = 0.05; SET mediasql.batch_size = 4")
        .await
        .unwrap();
    let sql = "SELECT classify(content)['label'] \
               FROM read_media('sql-tests/fixtures/images/*.jpg'), generate_series(1, 20) \
               WHERE path NOT LIKE '%corrupt%'";
    let rows = client.simple_query(sql).await.unwrap();
    assert!(rows.len() > 80, "{} messages", rows.len());
    let first = notices.try_recv().expect("no progress notice");
    assert!(first.starts_with("models: "), "{first}");
    assert!(first.contains("rows/s"), "{first}");

    // client_min_messages = warning silences them, as in PostgreSQL.
    client
        .batch_execute("SET client_min_messages = warning")
        .await
        .unwrap();
    while notices.try_recv().is_ok() {}
    client.simple_query(sql).await.unwrap();
    assert!(notices.try_recv().is_err(), "a notice at warning level");
}

/// Runs a client check script (`program args...`, from the repository root) that prints OK
/// when all its checks passed; fails the test with its output otherwise.
async fn run_client_check(program: std::path::PathBuf, args: Vec<String>) {
    run_client_check_with(program, args, Vec::new()).await;
}

/// [`run_client_check`] with these environment variables set.
async fn run_client_check_with(
    program: std::path::PathBuf,
    args: Vec<String>,
    envs: Vec<(&'static str, std::path::PathBuf)>,
) {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .args(args)
            .envs(envs)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("run {shown}: {e} (scripts/install-test-tools.sh installs it)"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("OK"),
        "{shown}:\n{stdout}\n{stderr}"
    );
}

/// The user who logged in is `current_user` and a role (pgAdmin reads its row on connect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_user_is_a_role() {
    let server = images_server().await;
    let client = server.connect().await;
    let row = client
        .query_one(
            "SELECT current_user, (SELECT count(*) FROM pg_roles WHERE rolname = current_user), \
             (SELECT count(*) FROM pg_user WHERE usename = session_user)",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "tester");
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, i64>(2), 1);
    let row = client
        .query_one("SELECT current_user, session_user, user, current_role", &[])
        .await
        .expect("query");
    let names: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["current_user", "session_user", "user", "current_role"]
    );
    for i in 0..4 {
        assert_eq!(row.get::<_, String>(i), "tester");
    }
}

/// A server with the fixture photos as table `images`.
async fn images_server() -> TestServer {
    let config = mediasql::config::Config {
        tables: vec![
            mediasql::config::TableDef::parse_arg("images=sql-tests/fixtures/images").unwrap(),
        ],
        cache_dir: Some(crate::common::temp_dir("images-server-cache")),
        ..mediasql::config::Config::default()
    };
    TestServer::start(mediasql::engine::Engine::new(&config).unwrap()).await
}

/// asyncpg, psycopg2, SQLAlchemy and pandas, each driven as its users drive it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_work() {
    let server = images_server().await;
    let python = crate::common::tools_venv().join("bin/python");
    let args = vec![
        "tests/clients/python_clients.py".to_string(),
        server.addr.port().to_string(),
    ];
    run_client_check(python, args).await;
}

/// psqlODBC (Tableau's and other ODBC tools' driver): its catalog calls, also through
/// `DECLARE`/`FETCH` as Tableau configures it, parameters and errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odbc_works() {
    let server = images_server().await;
    let python = crate::common::tools_venv().join("bin/python");
    let args = vec![
        "tests/clients/odbc_check.py".to_string(),
        server.addr.port().to_string(),
    ];
    run_client_check(python, args).await;
}

/// The catalog queries of DBeaver, Grafana, Metabase, pgAdmin, pgcli and Superset/SQLAlchemy
/// (tests/clients/bi/, from their sources), replayed through each tool's driver: pgjdbc for
/// DBeaver and Metabase, pgx for Grafana, psycopg2 for SQLAlchemy and Superset, psycopg 3 for
/// pgAdmin and pgcli. Each tool must run at least as many as it did when its floor was set;
/// the output lists what still fails. The statements about the catalog's shape (marked
/// `-- compare`) must also answer as PostgreSQL does for the same catalog
/// (tests/clients/expected/, see [`bi_answers`]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bi_tool_catalog_queries_run() {
    let server = images_server().await;
    let port = server.addr.port().to_string();
    let rows = std::env::temp_dir().join(format!("mediasql-bi-rows-{port}"));
    let _ = std::fs::remove_dir_all(&rows);
    std::fs::create_dir_all(&rows).expect("a folder for the replays' rows");
    let envs = || vec![("MEDIASQL_BI_ROWS", rows.clone())];
    let python = crate::common::tools_venv().join("bin/python");
    let floors = ["pgadmin=18", "pgcli=17", "sqlalchemy2=18", "superset=24"];
    let mut args = vec!["tests/clients/bi_replay.py".to_string(), port.clone()];
    args.extend(floors.map(String::from));
    run_client_check_with(python, args, envs()).await;
    let jdbc = [
        "-cp",
        "/usr/share/java/postgresql.jar",
        "tests/clients/BiReplay.java",
        &port,
        "dbeaver=18",
        "metabase=17",
    ];
    run_client_check_with("java".into(), jdbc.map(String::from).to_vec(), envs()).await;
    let go = format!(
        "GO111MODULE=off GOPATH=/usr/share/gocode exec go run tests/clients/grafana_replay.go {port} grafana=11"
    );
    run_client_check_with("sh".into(), vec!["-c".to_string(), go], envs()).await;

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = [
        "dbeaver",
        "grafana",
        "metabase",
        "pgadmin",
        "pgcli",
        "sqlalchemy2",
        "superset",
    ];
    let found: Vec<String> = tools
        .iter()
        .flat_map(|tool| bi_answers::compare_tool(root, &rows, tool))
        .collect();
    assert!(
        found.is_empty(),
        "{} statements about the catalog's shape answer otherwise than PostgreSQL \
         (our rows: {}):\n\n{}",
        found.len(),
        rows.display(),
        found.join("\n")
    );
    let _ = std::fs::remove_dir_all(&rows);
}

/// psql itself: its meta-commands and `\copy`, each as psql sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_meta_commands_work() {
    let server = images_server().await;
    let port = server.addr.port();
    let expectations = [
        ("\\l", "mediasql"),
        ("\\dn", "public"),
        ("\\dn+", "Access privileges"),
        ("\\dt", "images"),
        ("\\dt+", "permanent"),
        ("\\l+", "mediasql"),
        ("\\d images", "timestamp with time zone"),
        ("\\d+ images", "extended"),
        ("\\df classify", "image, model, top_k, on_error"),
        (
            "\\df+ classify",
            "Classifies an image with an image classifier",
        ),
        ("\\conninfo", "You are connected to database \"mediasql\""),
        (
            "\\copy (SELECT path FROM images ORDER BY path LIMIT 1) TO STDOUT CSV HEADER",
            "path\nsql-tests/fixtures/images/astronaut.jpg",
        ),
    ];
    for (command, expected) in expectations {
        let script = format!(
            "psql -X -h 127.0.0.1 -p {port} -U tester -d mediasql -v ON_ERROR_STOP=1 -c '\\x off' -c '{command}'"
        );
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .args(["-c", &script])
                .output()
        })
        .await
        .expect("join")
        .expect("psql (scripts/install-test-tools.sh installs it)");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains(expected),
            "{command}: {stdout}\n{stderr}"
        );
    }
}

/// node-postgres: parameters, typed results, errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_postgres_works() {
    let server = images_server().await;
    let modules =
        std::env::var("HOME").map(|home| format!("{home}/.cache/mediasql/node/node_modules"));
    let script = format!(
        "NODE_PATH={} exec node tests/clients/node_check.js {}",
        modules.unwrap_or_default(),
        server.addr.port()
    );
    run_client_check("sh".into(), vec!["-c".to_string(), script]).await;
}

/// pgjdbc: the DatabaseMetaData calls of Java BI tools, prepared statements, fetch size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jdbc_works() {
    let server = images_server().await;
    let args = vec![
        "-cp".to_string(),
        "/usr/share/java/postgresql.jar".to_string(),
        "tests/clients/JdbcCheck.java".to_string(),
        server.addr.port().to_string(),
    ];
    run_client_check("java".into(), args).await;
}
