//! The extended protocol's side of a session: statements prepared once (Parse), their
//! parameters' types (Describe), and run with values bound (Bind/Execute).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{ParamValues, Result, ScalarValue};
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast;

use super::Session;
use crate::copy_out::copy_out_query;
use crate::cursor::{CursorStatement, cursor_statement};
use crate::pgcompat::params::{oid_placeholders, placeholder_casts};
use crate::statement::commands::{
    SessionCommand, is_command, session_command, show_all_schema, show_cache_schema,
    show_models_schema, show_schema,
};
use crate::statement::{Output, Prepared, Statement};

impl Session {
    /// Parses and plans one statement for the extended protocol; `$n` has type
    /// `declared[n - 1]` where the client declared one.
    pub async fn prepare(
        &self,
        statement: Statement,
        declared: &[Option<DataType>],
    ) -> Result<Prepared> {
        let empty = || Arc::new(Schema::empty());
        let sql = match &statement {
            Statement::Model(_) => return Ok(Prepared::unplanned(statement, empty())),
            Statement::Sql(sql) => sql.clone(),
        };
        // Run as a whole when executed: its rows go out as COPY data, not as a result.
        if copy_out_query(&sql).is_some() {
            return Ok(Prepared::unplanned(statement, empty()));
        }
        if let Some(cursor) = cursor_statement(&sql) {
            return match cursor? {
                CursorStatement::Declare { name, hold, query } => {
                    let (plan, param_types, oid_params) = self.plan_params(query, declared).await?;
                    Ok(Prepared {
                        statement,
                        plan: Some(plan),
                        schema: empty(),
                        param_types,
                        oid_params,
                        cursor: Some((name, hold)),
                    })
                }
                CursorStatement::Fetch { name, .. } => {
                    let schema = self.cursors.schema(&name)?;
                    Ok(Prepared::unplanned(statement, schema))
                }
                CursorStatement::Close(_) => Ok(Prepared::unplanned(statement, empty())),
            };
        }
        if let Some(command) = session_command(&sql) {
            let schema = match command {
                SessionCommand::Show(name) => show_schema(&name),
                SessionCommand::ShowAll => show_all_schema(),
                SessionCommand::ShowModels => show_models_schema(),
                SessionCommand::ShowCache => show_cache_schema(),
                _ => empty(),
            };
            return Ok(Prepared::unplanned(statement, schema));
        }
        let (plan, param_types, oid_params) = self.plan_params(sql, declared).await?;
        let schema = if is_command(&plan) {
            empty()
        } else {
            Arc::new(plan.schema().as_arrow().clone())
        };
        Ok(Prepared {
            statement,
            plan: Some(plan),
            schema,
            param_types,
            oid_params,
            cursor: None,
        })
    }

    /// Plans `statement` with `$n` of the declared types; the type of each `$n`, and the
    /// `$n` described as oids.
    async fn plan_params(
        &self,
        statement: SqlStatement,
        declared: &[Option<DataType>],
    ) -> Result<(LogicalPlan, Vec<Option<DataType>>, Vec<usize>)> {
        let (plan, statement) = self.plan(statement, declared).await?;
        let types = plan.get_parameter_types()?;
        let mut param_types = vec![None; types.len()];
        for (name, data_type) in types {
            let index = name
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1));
            if let Some(slot) = index.and_then(|i| param_types.get_mut(i)) {
                *slot = data_type;
            }
        }
        for (slot, declared) in param_types.iter_mut().zip(declared) {
            if slot.is_none() {
                slot.clone_from(declared);
            }
        }
        if param_types.iter().any(Option::is_none) {
            let casts = placeholder_casts(&plan);
            for (i, slot) in param_types.iter_mut().enumerate() {
                if slot.is_none() {
                    *slot = casts.get(&format!("${}", i + 1)).cloned();
                }
            }
        }
        Ok((plan, param_types, oid_placeholders(&statement)))
    }

    /// Runs a prepared statement with `$n` bound to `params[n - 1]`.
    pub async fn execute_prepared(
        &self,
        prepared: &Prepared,
        params: Vec<ScalarValue>,
    ) -> Result<Output> {
        let Some(plan) = &prepared.plan else {
            return self.execute(&prepared.statement).await;
        };
        let plan = if params.is_empty() {
            plan.clone()
        } else {
            plan.clone().replace_params_with_values(&ParamValues::List(
                params.into_iter().map(Into::into).collect(),
            ))?
        };
        match &prepared.cursor {
            Some((name, hold)) => self.declare_cursor(name, *hold, plan).await,
            None => self.run_plan(plan).await,
        }
    }

    /// `FETCH ALL FROM name`, prepared: what the extended protocol's portal of the cursor
    /// `name` runs (clients describe a declared cursor as a portal of that name).
    pub fn cursor_portal(&self, name: &str) -> Result<Prepared> {
        let schema = self.cursors.schema(name)?;
        let fetch = ast::Statement::Fetch {
            name: ast::Ident::with_quote('"', name),
            direction: ast::FetchDirection::All,
            position: ast::FetchPosition::From,
            into: None,
        };
        let statement = Statement::Sql(SqlStatement::Statement(Box::new(fetch)));
        Ok(Prepared::unplanned(statement, schema))
    }
}
