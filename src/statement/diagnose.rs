//! Plan errors typed from the catalog, not from DataFusion's words.
//!
//! DataFusion answers an unknown table, an unknown function and a name in use with the same
//! variant as any other plan error (`DataFusionError::Plan`), and only its message tells them
//! apart. Clients need PostgreSQL's codes (42P01, 42883, 42P07), so when planning fails the
//! statement is checked against the catalog ([`plan_error`]), and a `CREATE` of a name in
//! use is refused before it runs ([`check_create`]).

use std::ops::ControlFlow;

use datafusion::common::{DataFusionError, TableReference};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{DdlStatement, LogicalPlan, Statement};
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{self, Expr, visit_expressions};
use mediasql_udfs::error::{SqlState, sql_error};

use crate::pgcompat::ast::function_name;
use crate::pgcompat::settings::unrecognized;
use crate::server::sqlstate::message;

/// Functions DataFusion's SQL planner knows without a registry entry.
const PLANNER_FUNCTIONS: [&str; 1] = ["unnest"];

/// `error`, from planning `statement`, typed when the statement names a table or a function
/// the session does not have.
pub fn plan_error(
    state: &SessionState,
    statement: &SqlStatement,
    error: DataFusionError,
) -> DataFusionError {
    if !matches!(error.find_root(), DataFusionError::Plan(_)) {
        return error;
    }
    if missing_table(state, statement).is_some() {
        return sql_error(SqlState::UndefinedTable, message(&error));
    }
    if missing_function(state, statement).is_some() {
        return sql_error(SqlState::UndefinedFunction, message(&error));
    }
    error
}

/// The first table `statement` reads that the session does not have.
fn missing_table(state: &SessionState, statement: &SqlStatement) -> Option<TableReference> {
    let references = state.resolve_table_references(statement).ok()?;
    references.into_iter().find(|reference| {
        let function =
            reference.schema().is_none() && state.table_functions().contains_key(reference.table());
        let exists = state
            .schema_for_ref(reference.clone())
            .is_ok_and(|schema| schema.table_exist(reference.table()));
        !function && !exists
    })
}

/// The first function `statement` calls that the session does not have.
fn missing_function(state: &SessionState, statement: &SqlStatement) -> Option<String> {
    let plain = plain(statement)?;
    let known = |name: &str| {
        state.scalar_functions().contains_key(name)
            || state.aggregate_functions().contains_key(name)
            || state.window_functions().contains_key(name)
            || state.table_functions().contains_key(name)
            || PLANNER_FUNCTIONS.contains(&name)
    };
    let mut missing = None;
    let _ = visit_expressions(plain, |expr: &Expr| {
        if let Expr::Function(function) = expr
            && let Some(name) = function_name(function)
            && !known(&name)
        {
            missing = Some(name);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    missing
}

/// The plain SQL statement of `statement`, also under `EXPLAIN`.
fn plain(statement: &SqlStatement) -> Option<&ast::Statement> {
    match statement {
        SqlStatement::Statement(s) => Some(s),
        SqlStatement::Explain(explain) => plain(&explain.statement),
        _ => None,
    }
}

/// Checks a `SET` of one of the engine's settings (`datafusion.*`, `mediasql.*`) before it
/// runs, as PostgreSQL answers: an unknown name is 42704, a value the setting cannot take
/// 22023 (DataFusion's own answer is an untyped parse error). Runtime settings
/// (`datafusion.runtime.*`) are DataFusion's to check.
pub fn check_set(state: &SessionState, plan: &LogicalPlan) -> datafusion::common::Result<()> {
    let LogicalPlan::Statement(Statement::SetVariable(set)) = plan else {
        return Ok(());
    };
    let name = set.variable.as_str();
    if name.starts_with("datafusion.runtime.") {
        return Ok(());
    }
    let mut options = state.config_options().as_ref().clone();
    // DataFusion's keys are whole; an extension's (`mediasql.*`) lack its prefix.
    let in_extension = name.split_once('.').map(|(_, key)| key);
    let known = options.entries().iter().any(|e| {
        let key = e.key.trim_start_matches('.');
        key == name || Some(key) == in_extension
    });
    if !known {
        return Err(unrecognized(name));
    }
    options.set(name, &set.value).map_err(|_| {
        sql_error(
            SqlState::InvalidParameterValue,
            format!("invalid value for parameter \"{name}\": \"{}\"", set.value),
        )
    })
}

/// Refuses a `CREATE` of a table, view or schema whose name is in use (unless it says
/// `IF NOT EXISTS` or `OR REPLACE`), as PostgreSQL does: 42P07 or 42P06.
pub fn check_create(state: &SessionState, plan: &LogicalPlan) -> datafusion::common::Result<()> {
    let LogicalPlan::Ddl(ddl) = plan else {
        return Ok(());
    };
    let (name, free_to_take) = match ddl {
        DdlStatement::CreateExternalTable(c) => (&c.name, c.if_not_exists || c.or_replace),
        DdlStatement::CreateMemoryTable(c) => (&c.name, c.if_not_exists || c.or_replace),
        DdlStatement::CreateView(c) => (&c.name, c.or_replace),
        DdlStatement::CreateCatalogSchema(c) => {
            let (catalog, schema) = match c.schema_name.split_once('.') {
                Some((catalog, schema)) => (Some(catalog), schema),
                None => (None, c.schema_name.as_str()),
            };
            let options = state.config_options();
            let catalog = catalog.unwrap_or(&options.catalog.default_catalog);
            let exists = state
                .catalog_list()
                .catalog(catalog)
                .is_some_and(|c| c.schema(schema).is_some());
            if exists && !c.if_not_exists {
                return Err(sql_error(
                    SqlState::DuplicateSchema,
                    format!("schema \"{schema}\" already exists"),
                ));
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    let exists = state
        .schema_for_ref(name.clone())
        .is_ok_and(|schema| schema.table_exist(name.table()));
    if exists && !free_to_take {
        return Err(sql_error(
            SqlState::DuplicateTable,
            format!("relation \"{}\" already exists", name.table()),
        ));
    }
    Ok(())
}
