//! `pg_show_all_settings()` and `pg_settings`, from the session's settings.
//!
//! pgAdmin reads settings through the set-returning function (`SELECT set_config(...) FROM
//! pg_show_all_settings() WHERE name = 'bytea_output'` on every connection, and
//! `default_table_access_method` in table properties). A session's settings live in the
//! session, so both are rewritten before planning into a `VALUES` list of the session's
//! settings, with `pg_settings`' columns (those we have no value for are NULL).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, Query, Statement, TableAlias, TableAliasColumnDef, TableFactor, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ast::visit_mut;
use super::settings::Settings;

/// `pg_settings`' columns, in PostgreSQL's order.
const COLUMNS: &[&str] = &[
    "name",
    "setting",
    "unit",
    "category",
    "short_desc",
    "extra_desc",
    "context",
    "vartype",
    "source",
    "min_val",
    "max_val",
    "enumvals",
    "boot_val",
    "reset_val",
    "sourcefile",
    "sourceline",
    "pending_restart",
];

/// Rewrites every `pg_show_all_settings()` and `pg_settings` of `statement`.
pub fn rewrite(statement: &mut SqlStatement, settings: &dyn Settings) {
    let _ = visit_mut(
        statement,
        &mut SettingsTables {
            settings,
            values: None,
        },
    );
}

struct SettingsTables<'a> {
    settings: &'a dyn Settings,
    /// The settings as VALUES, made at the first reference (most statements have none).
    values: Option<Box<Query>>,
}

impl VisitorMut for SettingsTables<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name, args, alias, ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        if !is_settings(name, args.is_some()) {
            return ControlFlow::Continue(());
        }
        let alias_name = match alias {
            Some(alias) => alias.name.clone(),
            None => Ident::new("pg_settings"),
        };
        if self.values.is_none() {
            self.values = settings_query(self.settings);
        }
        let Some(values) = &self.values else {
            return ControlFlow::Continue(());
        };
        *factor = TableFactor::Derived {
            lateral: false,
            subquery: values.clone(),
            alias: Some(TableAlias {
                explicit: true,
                name: alias_name,
                columns: COLUMNS
                    .iter()
                    .map(|c| TableAliasColumnDef::from_name(*c))
                    .collect(),
                at: None,
            }),
            sample: None,
        };
        ControlFlow::Continue(())
    }
}

/// `pg_show_all_settings()` or `pg_settings` (bare or in `pg_catalog`).
fn is_settings(name: &ObjectName, called: bool) -> bool {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| i.value.to_ascii_lowercase())
        .collect();
    let table = match parts.as_slice() {
        [table] => table,
        [schema, table] if schema == "pg_catalog" => table,
        _ => return false,
    };
    if called {
        table == "pg_show_all_settings"
    } else {
        table == "pg_settings"
    }
}

/// `VALUES (name, setting, ...), ...` of the session's settings.
fn settings_query(settings: &dyn Settings) -> Option<Box<Query>> {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let rows: Vec<String> = settings
        .all()
        .iter()
        .map(|(name, value)| {
            let (name, value) = (quote(name), quote(value));
            format!(
                "({name}, {value}, CAST(NULL AS TEXT), '', '', CAST(NULL AS TEXT), 'user', \
                 'string', 'session', CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
                 CAST(NULL AS TEXT[]), {value}, {value}, CAST(NULL AS TEXT), CAST(NULL AS INT), \
                 false)"
            )
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let sql = format!("VALUES {}", rows.join(", "));
    let statement = Parser::parse_sql(&PostgreSqlDialect {}, &sql).ok()?.pop()?;
    let Statement::Query(query) = statement else {
        return None;
    };
    Some(query)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::pgcompat::ast::parsed;

    #[test]
    fn settings_tables_become_the_sessions_settings() {
        let settings = BTreeMap::from([("bytea_output".to_string(), "hex".to_string())]);
        for sql in [
            "SELECT setting FROM pg_show_all_settings() st WHERE name = 'bytea_output'",
            "SELECT setting FROM pg_catalog.pg_settings st WHERE name = 'bytea_output'",
        ] {
            let mut statement = parsed(sql);
            rewrite(&mut statement, &settings);
            let text = statement.to_string();
            assert!(
                text.contains("FROM (VALUES ('bytea_output', 'hex', "),
                "{text}"
            );
            assert!(text.contains(") AS st (name, setting, unit,"), "{text}");
        }
    }

    #[test]
    fn other_tables_stay() {
        let settings = BTreeMap::from([("a".to_string(), "b".to_string())]);
        let sql = "SELECT * FROM other.pg_settings, pg_show_all_settings";
        let mut statement = parsed(sql);
        rewrite(&mut statement, &settings);
        assert_eq!(statement.to_string(), sql);
    }
}
