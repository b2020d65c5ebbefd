//! The BI replays' rows for the statements about the catalog's shape, compared with
//! PostgreSQL's answers for the same catalog.
//!
//! A statement of `tests/clients/bi/<tool>.sql` with a `-- compare` line (all columns) or
//! `-- compare: a, b` (those columns; a name a result repeats is `name#2` its second time)
//! has PostgreSQL's rows in `tests/clients/expected/<tool>.txt`, which
//! `scripts/record-pg-answers.sh` records; the replays write ours, as the tool's driver read
//! them, to `<folder>/<tool>.rows` (format: `tests/clients/bi_rows.py`). Rows are compared as
//! text, in order where the statement ends in an ORDER BY, else sorted.
//!
//! Where mediasql's answer differs for a reason that stays (legitimately, or a bug not fixed
//! yet), a line beside the statement says so, and what of the difference is allowed:
//! - `-- mediasql differs: column a, b: why`: those columns are not compared;
//! - `-- mediasql differs: missing v, w: why`: PostgreSQL's rows with a value v or w may be
//!   absent from ours; `extra v, w`: ours with such a value may be absent from PostgreSQL's;
//! - `-- mediasql differs: rows: why`: the rows are not compared, only the columns.
//!
//! An allowance the answer no longer needs fails the test too, so that it goes when the
//! difference does.

use std::collections::BTreeMap;
use std::path::Path;

/// One statement's answer in a rows file: its flag (`ordered`, `sorted`, `rows`, `error`),
/// its note (the statement's source), its columns and its rows, each value as the file
/// writes it (escaped; NULL is `\N`).
#[derive(Debug, Default)]
struct Answer {
    flag: String,
    note: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The answers of a rows file, by statement index.
fn parse_rows(text: &str) -> BTreeMap<usize, Answer> {
    let mut answers = BTreeMap::new();
    let mut current: Option<(usize, Answer)> = None;
    let mut columns_next = false;
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("== ") {
            if let Some((index, answer)) = current.take() {
                answers.insert(index, answer);
            }
            let (head, note) = head.split_once(" -- ").unwrap_or((head, ""));
            let mut words = head.split_whitespace();
            let index = words.next().and_then(|w| w.parse().ok()).expect(line);
            let flag = words.next().unwrap_or_default().to_string();
            let note = note.to_string();
            current = Some((
                index,
                Answer {
                    flag,
                    note,
                    ..Answer::default()
                },
            ));
            columns_next = true;
        } else if let Some((_, answer)) = current.as_mut() {
            let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
            if columns_next {
                answer.columns = if line.is_empty() {
                    Vec::new()
                } else {
                    dedup(cells)
                };
                columns_next = false;
            } else {
                answer.rows.push(cells);
            }
        }
    }
    if let Some((index, answer)) = current {
        answers.insert(index, answer);
    }
    answers
}

/// A name that repeats is `name#2` its second time, and so on.
fn dedup(names: Vec<String>) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    names
        .into_iter()
        .map(|name| {
            let count = seen.entry(name.clone()).or_default();
            *count += 1;
            if *count == 1 {
                name
            } else {
                format!("{name}#{count}")
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Allowance {
    Columns(Vec<String>),
    Missing(Vec<String>),
    Extra(Vec<String>),
    Rows,
}

/// What the `.sql` file says of each statement: its `-- compare` columns (None: not compared;
/// empty: all) and its allowances, each with its line.
#[derive(Debug, Default)]
struct Marks {
    compare: Option<Vec<String>>,
    allowances: Vec<(Allowance, String)>,
}

fn parse_marks(sql: &str) -> BTreeMap<usize, Marks> {
    let list = |text: &str| -> Vec<String> {
        text.split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let mut marks = BTreeMap::new();
    for (i, chunk) in sql.split("\n-- next\n").enumerate() {
        let mut mark = Marks::default();
        for line in chunk.lines() {
            if line.trim() == "-- compare" {
                mark.compare = Some(Vec::new());
            } else if let Some(columns) = line.strip_prefix("-- compare:") {
                mark.compare = Some(list(columns));
            } else if let Some(rest) = line.strip_prefix("-- mediasql differs: ") {
                let (what, _why) = rest.split_once(": ").unwrap_or((rest, ""));
                let (kind, values) = what.split_once(' ').unwrap_or((what, ""));
                let allowance = match kind.trim_end_matches(':') {
                    "column" | "columns" => Allowance::Columns(list(values)),
                    "missing" => Allowance::Missing(list(values)),
                    "extra" => Allowance::Extra(list(values)),
                    "rows" => Allowance::Rows,
                    other => panic!("statement {}: unknown allowance {other:?}: {line}", i + 1),
                };
                mark.allowances.push((allowance, line.to_string()));
            }
        }
        marks.insert(i + 1, mark);
    }
    marks
}

/// Ours against PostgreSQL's `expected`, with `allowed`: why they differ, if they do.
fn differences(expected: &Answer, ours: &Answer, allowed: &[&Allowance]) -> Option<String> {
    if ours.flag == "error" {
        let message = ours.columns.join("\t");
        return Some(format!("failed on mediasql: {message}"));
    }
    let skipped: Vec<&String> = allowed
        .iter()
        .filter_map(|a| match a {
            Allowance::Columns(c) => Some(c),
            _ => None,
        })
        .flatten()
        .collect();
    let compared: Vec<&String> = expected
        .columns
        .iter()
        .filter(|c| !skipped.contains(c))
        .collect();
    let absent: Vec<&&String> = compared
        .iter()
        .filter(|c| !ours.columns.contains(c))
        .collect();
    if !absent.is_empty() {
        return Some(format!(
            "no column {absent:?} in mediasql's answer, whose columns are {:?}",
            ours.columns
        ));
    }
    if allowed.contains(&&Allowance::Rows) {
        return None;
    }
    let at: Vec<usize> = compared
        .iter()
        .map(|c| expected.columns.iter().position(|e| e == *c).unwrap_or(0))
        .collect();
    let ours_at: Vec<usize> = compared
        .iter()
        .map(|c| ours.columns.iter().position(|o| o == *c).unwrap_or(0))
        .collect();
    let values = |kind: fn(&Allowance) -> Option<&Vec<String>>| -> Vec<&String> {
        allowed.iter().filter_map(|a| kind(a)).flatten().collect()
    };
    let missing = values(|a| match a {
        Allowance::Missing(v) => Some(v),
        _ => None,
    });
    let extra = values(|a| match a {
        Allowance::Extra(v) => Some(v),
        _ => None,
    });
    let project = |rows: &[Vec<String>], at: &[usize], may_go: &[&String]| -> Vec<String> {
        rows.iter()
            .map(|row| {
                at.iter()
                    .map(|&i| row.get(i).cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
            })
            .filter(|cells| !cells.iter().any(|v| may_go.contains(&v)))
            .map(|cells| cells.join("\t"))
            .collect()
    };
    let mut theirs = project(&expected.rows, &at, &missing);
    let mut mine = project(&ours.rows, &ours_at, &extra);
    if expected.flag != "ordered" {
        theirs.sort();
        mine.sort();
    }
    if theirs == mine {
        return None;
    }
    let header: Vec<&str> = compared.iter().map(|c| c.as_str()).collect();
    let mut report = format!("columns: {}\n", header.join("\t"));
    let mut only_mine = mine.clone();
    let mut only_theirs = Vec::new();
    for row in &theirs {
        match only_mine.iter().position(|m| m == row) {
            Some(i) => {
                only_mine.remove(i);
            }
            None => only_theirs.push(row.clone()),
        }
    }
    if only_theirs.is_empty() && only_mine.is_empty() {
        report.push_str("the same rows in another order; PostgreSQL's:\n");
        lines(&mut report, "   ", &theirs);
        report.push_str("mediasql's:\n");
        lines(&mut report, "   ", &mine);
    } else {
        report.push_str("(- PostgreSQL only, + mediasql only)\n");
        lines(&mut report, " - ", &only_theirs);
        lines(&mut report, " + ", &only_mine);
    }
    Some(report)
}

fn lines(report: &mut String, prefix: &str, rows: &[String]) {
    const SHOWN: usize = 25;
    for row in rows.iter().take(SHOWN) {
        report.push_str(&format!("{prefix}{row}\n"));
    }
    if rows.len() > SHOWN {
        report.push_str(&format!("{prefix}... and {} more\n", rows.len() - SHOWN));
    }
}

/// Each statement of `tool` whose rows differ from PostgreSQL's, with how; and each
/// allowance its statement no longer needs.
pub fn compare_tool(root: &Path, rows_folder: &Path, tool: &str) -> Vec<String> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    };
    let expected_path = root.join(format!("tests/clients/expected/{tool}.txt"));
    let expected = parse_rows(&read(&expected_path));
    let ours = parse_rows(&read(&rows_folder.join(format!("{tool}.rows"))));
    let marks = parse_marks(&read(&root.join(format!("tests/clients/bi/{tool}.sql"))));
    let rerecord = "re-run scripts/record-pg-answers.sh";
    let mut found = Vec::new();
    for (index, mark) in &marks {
        let name = format!("{tool} statement {index} (tests/clients/bi/{tool}.sql)");
        let Some(compare) = &mark.compare else {
            if expected.contains_key(index) {
                found.push(format!(
                    "{name}: has an expected answer but no `-- compare` line; {rerecord}"
                ));
            }
            continue;
        };
        let Some(theirs) = expected.get(index) else {
            found.push(format!(
                "{name}: no expected answer in {}; {rerecord}",
                expected_path.display()
            ));
            continue;
        };
        let name = format!("{name}, {}", theirs.note);
        if !compare.is_empty() && compare != &theirs.columns {
            found.push(format!("{name}: its expected answer has other columns than its `-- compare` line; {rerecord}"));
            continue;
        }
        let Some(mine) = ours.get(index) else {
            found.push(format!("{name}: the replay wrote no rows for it"));
            continue;
        };
        let allowed: Vec<&Allowance> = mark.allowances.iter().map(|(a, _)| a).collect();
        if let Some(how) = differences(theirs, mine, &allowed) {
            found.push(format!("{name} differs from PostgreSQL's answer: {how}"));
            continue;
        }
        for (i, (_, line)) in mark.allowances.iter().enumerate() {
            let others: Vec<&Allowance> = mark
                .allowances
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (a, _))| a)
                .collect();
            if differences(theirs, mine, &others).is_none() {
                found.push(format!(
                    "{name}: the answer no longer needs `{line}`: remove it"
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_files_and_allowances_parse() {
        let rows = parse_rows(
            "# comment\n== 2 ordered -- a source\nn\tn\tx\na\t\\N\t\n== 3 error\nboom\n== 4 sorted\n\n",
        );
        assert_eq!(rows[&2].columns, ["n", "n#2", "x"]);
        assert_eq!(rows[&2].rows, [["a", "\\N", ""]]);
        assert_eq!(rows[&2].note, "a source");
        assert_eq!(
            (rows[&3].flag.as_str(), rows[&3].columns.join("")),
            ("error", "boom".into())
        );
        assert!(rows[&4].columns.is_empty() && rows[&4].rows.is_empty());
        let marks = parse_marks(
            "-- source: x\n-- compare\nSELECT 1\n-- next\n-- compare: a, b#2\n\
             -- mediasql differs: missing pg_toast, x: why: because\n-- mediasql differs: rows: all\nSELECT 2",
        );
        assert_eq!(marks[&1].compare, Some(vec![]));
        assert_eq!(
            marks[&2].compare,
            Some(vec!["a".to_string(), "b#2".to_string()])
        );
        let kinds: Vec<&Allowance> = marks[&2].allowances.iter().map(|(a, _)| a).collect();
        assert_eq!(
            kinds,
            [
                &Allowance::Missing(vec!["pg_toast".into(), "x".into()]),
                &Allowance::Rows
            ]
        );
    }

    #[test]
    fn differences_are_shown_and_allowances_apply() {
        let answer = |flag: &str, text: &str| Answer {
            flag: flag.into(),
            note: String::new(),
            columns: vec!["name".into(), "kind".into()],
            rows: text
                .lines()
                .map(|l| l.split('\t').map(String::from).collect())
                .collect(),
        };
        let pg = answer("ordered", "a\tr\npg_toast\tn\nz\tr");
        let same = answer("rows", "a\tr\nz\tr");
        assert!(
            differences(&pg, &same, &[])
                .unwrap()
                .contains(" - pg_toast\tn")
        );
        let missing = Allowance::Missing(vec!["pg_toast".into()]);
        assert_eq!(differences(&pg, &same, &[&missing]), None);
        let swapped = answer("rows", "z\tr\na\tr");
        assert!(
            differences(&pg, &swapped, &[&missing])
                .unwrap()
                .contains("another order")
        );
        let column = Allowance::Columns(vec!["kind".into()]);
        let other_kind = answer("rows", "a\tv\nz\tr");
        assert_eq!(differences(&pg, &other_kind, &[&missing, &column]), None);
    }
}
