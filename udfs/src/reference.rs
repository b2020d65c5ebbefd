//! The SQL function reference (`docs/functions.md`), generated from each function's
//! `Documentation`: the docs a user reads are the ones `\df` and `SHOW FUNCTIONS` show. A test
//! fails when the file is out of date; `MEDIASQL_UPDATE_DOCS=1 cargo test -p mediasql-udfs
//! function_reference` rewrites it.

use std::collections::BTreeMap;
use std::fmt::Write;

use datafusion::logical_expr::{Documentation, ScalarUDF};

/// A section's description and its functions' documentation by name.
type Section<'a> = (Option<&'a str>, Vec<(&'a str, &'a Documentation)>);

/// The reference of `functions` as Markdown: sections by label, functions by name.
pub fn function_reference(functions: &[ScalarUDF]) -> String {
    let mut sections: BTreeMap<&str, Section> = BTreeMap::new();
    for function in functions {
        if let Some(doc) = documentation(function) {
            let section = sections
                .entry(doc.doc_section.label)
                .or_insert((doc.doc_section.description, Vec::new()));
            section.1.push((function.name(), doc));
        }
    }
    let mut out = String::from(
        "# SQL function reference\n\n\
         Generated from the functions' documentation in `udfs/src` (the same text `\\df` and \
         `SHOW FUNCTIONS` show); do not edit by hand: \
         `MEDIASQL_UPDATE_DOCS=1 cargo test -p mediasql-udfs function_reference` rewrites it. \
         Table functions (`read_media`, `pdf_pages`) and media tables are in the README.\n",
    );
    for (label, (description, mut functions)) in sections {
        functions.sort_by_key(|(name, _)| *name);
        let _ = write!(out, "\n## {label}\n\n");
        if let Some(description) = description {
            let _ = writeln!(out, "{description}\n");
        }
        for (name, doc) in functions {
            function_entry(&mut out, name, doc);
        }
    }
    out
}

/// The documentation of `function`, also through DataFusion's async wrapper (`download`).
pub fn documentation(function: &ScalarUDF) -> Option<&Documentation> {
    function
        .documentation()
        .or_else(|| (function.name() == "download").then(crate::io::download::documentation))
}

fn function_entry(out: &mut String, name: &str, doc: &Documentation) {
    let _ = write!(
        out,
        "### `{name}`\n\n{}\n\n```sql\n{}\n```\n\n",
        doc.description, doc.syntax_example
    );
    if let Some(arguments) = &doc.arguments {
        out.push_str("| argument | |\n|---|---|\n");
        for (argument, text) in arguments {
            let _ = writeln!(out, "| `{argument}` | {} |", text.replace('|', "\\|"));
        }
        out.push('\n');
    }
    if let Some(example) = &doc.sql_example {
        let _ = write!(out, "Example:\n\n```sql\n{example}\n```\n\n");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::io::StoreRegistry;
    use crate::models::ModelRegistry;

    #[test]
    fn function_reference_is_up_to_date() {
        let stores = Arc::new(StoreRegistry::new(HashMap::new()));
        let models = Arc::new(ModelRegistry::new("/nonexistent").unwrap());
        let functions = crate::all_functions(stores, models);
        let undocumented: Vec<&str> = functions
            .iter()
            .filter(|f| documentation(f).is_none())
            .map(|f| f.name())
            .collect();
        assert!(
            undocumented.is_empty(),
            "no documentation: {undocumented:?}"
        );
        let reference = function_reference(&functions);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/functions.md");
        if std::env::var_os("MEDIASQL_UPDATE_DOCS").is_some() {
            std::fs::write(path, &reference).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == reference,
            "docs/functions.md is out of date: run \
             MEDIASQL_UPDATE_DOCS=1 cargo test -p mediasql-udfs function_reference"
        );
    }
}
