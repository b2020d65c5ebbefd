//! `current_setting(name [, missing_ok])` and `set_config(name, value, is_local)`.
//!
//! A session's settings live in the session, not in DataFusion, so calls with constant
//! arguments are bound before planning: `current_setting('server_version_num')` becomes the
//! literal `'160006'`, and `set_config` sets the value and becomes the literal it returns.
//! What clients send (Grafana, pgAdmin, JDBC) mostly passes constants; a name given as a
//! parameter (SQLAlchemy's `current_setting($1)`) becomes a CASE over the session's settings
//! as they are when the statement is prepared.

use std::ops::ControlFlow;

use datafusion::common::{DataFusionError, Result};
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    self, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, SelectItem, SetExpr, Value,
};
use mediasql_udfs::error::{SqlState, sql_error};

use super::ast::{function_name, visit_exprs};

/// Where settings are read and written.
pub trait Settings {
    fn get(&self, name: &str) -> Option<String>;
    fn set(&mut self, name: &str, value: &str);
    /// The session's settings, name and value.
    fn all(&self) -> Vec<(String, String)>;
}

/// Replaces the `current_setting` and `set_config` calls of `statement` by their values.
pub fn bind_settings(statement: &mut SqlStatement, settings: &mut dyn Settings) -> Result<()> {
    if let SqlStatement::Statement(s) = statement {
        name_columns(s);
    }
    match visit_exprs(statement, &mut |e| bind(e, settings)) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// A bare `SELECT current_setting(...)` column is named `current_setting`, as in PostgreSQL
/// (bound to a literal, DataFusion would name it after the value).
fn name_columns(statement: &mut ast::Statement) {
    let ast::Statement::Query(query) = statement else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        let Some(name) = called(expr).filter(|n| SETTING_FUNCTIONS.contains(&n.as_str())) else {
            continue;
        };
        let expr = std::mem::replace(expr, Expr::Value(Value::Null.into()));
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::new(name),
        };
    }
}

const SETTING_FUNCTIONS: &[&str] = &["current_setting", "set_config"];

/// The name of the function `expr` calls, if it is a call.
fn called(expr: &Expr) -> Option<String> {
    let Expr::Function(function) = expr else {
        return None;
    };
    function_name(function)
}

fn bind(expr: &mut Expr, settings: &mut dyn Settings) -> ControlFlow<DataFusionError> {
    let name = called(expr);
    let Expr::Function(function) = expr else {
        return ControlFlow::Continue(());
    };
    let FunctionArguments::List(list) = &function.args else {
        return ControlFlow::Continue(());
    };
    let args: Vec<Option<String>> = list.args.iter().map(constant).collect();
    let value = match (name.as_deref(), args.as_slice()) {
        (Some("current_setting"), [Some(name)]) => match settings.get(&name.to_ascii_lowercase()) {
            Some(value) => Some(value),
            None => return ControlFlow::Break(unrecognized(name)),
        },
        (Some("current_setting"), [Some(name), Some(missing_ok)]) => {
            let value = settings.get(&name.to_ascii_lowercase());
            if value.is_none() && !is_true(missing_ok) {
                return ControlFlow::Break(unrecognized(name));
            }
            value
        }
        (Some("current_setting"), [None] | [None, _]) => {
            if let Some(lookup) = list.args.first().and_then(|name| lookup(name, settings)) {
                *expr = lookup;
            }
            return ControlFlow::Continue(());
        }
        (Some("set_config"), [Some(name), Some(value), Some(_is_local)]) => {
            settings.set(&name.to_ascii_lowercase(), value);
            Some(value.clone())
        }
        _ => return ControlFlow::Continue(()),
    };
    *expr = match value {
        Some(value) => Expr::Value(Value::SingleQuotedString(value).into()),
        None => Expr::Value(Value::Null.into()),
    };
    ControlFlow::Continue(())
}

/// `CASE lower(name) WHEN 'setting' THEN 'value' ... END`: a setting named by an expression
/// (a parameter), NULL for names the session does not have.
fn lookup(name: &FunctionArg, settings: &dyn Settings) -> Option<Expr> {
    let FunctionArg::Unnamed(FunctionArgExpr::Expr(name)) = name else {
        return None;
    };
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let mut sql = format!("CASE lower(CAST({name} AS VARCHAR))");
    for (setting, value) in settings.all() {
        sql.push_str(&format!(" WHEN {} THEN {}", quote(&setting), quote(&value)));
    }
    sql.push_str(" ELSE NULL END");
    super::ast::parse_expr(&sql)
}

/// A string or boolean constant argument, as text.
fn constant(arg: &FunctionArg) -> Option<String> {
    let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value))) = arg else {
        return None;
    };
    match &value.value {
        Value::SingleQuotedString(s) => Some(s.clone()),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_true(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "t" | "on" | "1" | "yes"
    )
}

/// The error for a setting nobody knows (42704, as PostgreSQL answers `SHOW no_such`).
pub fn unrecognized(name: &str) -> DataFusionError {
    sql_error(
        SqlState::UndefinedObject,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use datafusion::sql::parser::DFParserBuilder;

    impl Settings for BTreeMap<String, String> {
        fn get(&self, name: &str) -> Option<String> {
            BTreeMap::get(self, name).cloned()
        }
        fn set(&mut self, name: &str, value: &str) {
            self.insert(name.into(), value.into());
        }
        fn all(&self) -> Vec<(String, String)> {
            self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
    }

    fn bound(sql: &str, settings: &mut BTreeMap<String, String>) -> Result<String> {
        let mut statement = DFParserBuilder::new(sql).build()?.parse_statement()?;
        bind_settings(&mut statement, settings)?;
        Ok(statement.to_string())
    }

    #[test]
    fn binds_constant_calls() {
        let mut settings = BTreeMap::from([("server_version_num".to_string(), "160006".into())]);
        assert_eq!(
            bound(
                "SELECT current_setting('server_version_num')",
                &mut settings
            )
            .unwrap(),
            "SELECT '160006' AS current_setting"
        );
        assert_eq!(
            bound(
                "SELECT pg_catalog.set_config('search_path', 'x', false)",
                &mut settings
            )
            .unwrap(),
            "SELECT 'x' AS set_config"
        );
        assert_eq!(settings["search_path"], "x");
        assert_eq!(
            bound("SELECT current_setting('nope', true)", &mut settings).unwrap(),
            "SELECT NULL AS current_setting"
        );
        let error = bound("SELECT current_setting('nope')", &mut settings).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unrecognized configuration parameter")
        );
    }

    #[test]
    fn a_name_given_as_a_parameter_looks_the_settings_up() {
        let mut settings = BTreeMap::from([("server_version_num".to_string(), "160006".into())]);
        assert_eq!(
            bound("SELECT current_setting($1::VARCHAR) <> 'x'", &mut settings).unwrap(),
            "SELECT CASE lower(CAST($1::VARCHAR AS VARCHAR)) WHEN 'server_version_num' \
             THEN '160006' ELSE NULL END <> 'x'"
        );
    }
}
