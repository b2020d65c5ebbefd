//! The README's walk-through works as written: every SQL statement of its "Two commands"
//! section runs against the demo's tables and returns rows, and the models say what the
//! demo media hold.

use datafusion::arrow::util::pretty::pretty_format_batches;
use futures::TryStreamExt;
use mediasql::cli::demo_config;
use mediasql::engine::Engine;
use mediasql::session::Output;

use crate::common::busy_cpu;

/// The SQL statements of the README section `heading`: its ```sql blocks, without psql
/// meta-commands and comment lines, split at `;`.
fn readme_statements(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no section '{heading}' in README.md"));
    let mut sql = String::new();
    for block in section.split("```sql\n").skip(1) {
        let body = block.split("```").next().unwrap_or_default();
        for line in body.lines() {
            let line = line.trim_start();
            if !line.starts_with('\\') && !line.starts_with("--") {
                sql.push_str(line);
                sql.push('\n');
            }
        }
    }
    sql.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walk_through_runs_against_the_demo() {
    let _shared = busy_cpu().await;
    let session = Engine::new(&demo_config().unwrap()).unwrap().session();
    let statements = readme_statements("Two commands");
    assert!(statements.len() >= 10, "{statements:?}");
    let mut printed = String::new();
    for sql in &statements {
        let outputs = session
            .execute_sql(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"));
        for output in outputs {
            let Output::Rows(rows) = output else { continue };
            let batches: Vec<_> = rows
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{sql}\n{e}"));
            let count: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert!(count > 0, "no rows: {sql}");
            printed.push_str(&pretty_format_batches(&batches).unwrap().to_string());
        }
    }
    // What the models make of the demo media.
    for expected in [
        "cat.jpg",
        "espresso",
        "harbor",
        "Friday",
        "twenty-five seconds",
    ] {
        assert!(printed.contains(expected), "no '{expected}' in\n{printed}");
    }
}
