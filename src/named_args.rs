//! Named arguments that skip optional parameters: `transcribe(content, on_error => 'null')`.
//!
//! DataFusion maps named arguments to positions itself, but needs every parameter before
//! the last one named (`model` and `language` above). For mediasql's own functions, which
//! all read a NULL optional argument as "its default", calls that name their arguments are
//! rewritten before planning into positional calls with NULL in the skipped places.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::logical_expr::ScalarUDF;
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Value,
};

use crate::pgcompat::ast::visit_exprs;

/// The parameter names of mediasql's functions.
#[derive(Debug, Default)]
pub struct NamedParameters(HashMap<String, Vec<String>>);

impl NamedParameters {
    /// The named parameters of `functions` (those that declare names).
    pub fn of(functions: &[ScalarUDF]) -> Self {
        let names = functions
            .iter()
            .filter_map(|f| {
                let names = f.signature().parameter_names.clone()?;
                Some((f.name().to_ascii_lowercase(), names))
            })
            .collect();
        Self(names)
    }

    /// Rewrites the calls in `statement` that name arguments of mediasql's functions.
    pub fn fill_skipped(&self, statement: &mut SqlStatement) {
        let _ = visit_exprs(statement, &mut |e| self.visit(e));
    }

    fn visit(&self, expr: &mut Expr) -> ControlFlow<()> {
        let Expr::Function(function) = expr else {
            return ControlFlow::Continue(());
        };
        let FunctionArguments::List(list) = &mut function.args else {
            return ControlFlow::Continue(());
        };
        let name = function
            .name
            .0
            .last()
            .map(|part| part.to_string().to_ascii_lowercase());
        if let Some(params) = name.and_then(|n| self.0.get(&n))
            && let Some(args) = positional(params, &list.args)
        {
            list.args = args;
        }
        ControlFlow::Continue(())
    }
}

/// `args` in parameter order, NULL where a parameter before the last one given is skipped;
/// `None` when nothing is named or a name is unknown (left to DataFusion, which reports it).
fn positional(params: &[String], args: &[FunctionArg]) -> Option<Vec<FunctionArg>> {
    if args.iter().all(|a| matches!(a, FunctionArg::Unnamed(_))) {
        return None;
    }
    let mut slots: Vec<Option<FunctionArgExpr>> = vec![None; params.len()];
    for (i, arg) in args.iter().enumerate() {
        let (index, value) = match arg {
            FunctionArg::Unnamed(value) => (i, value),
            // The PostgreSQL dialect parses `name => value` with an expression as the name.
            FunctionArg::Named { name, arg, .. }
            | FunctionArg::ExprNamed {
                name: Expr::Identifier(name),
                arg,
                ..
            } => (parameter_index(params, name)?, arg),
            FunctionArg::ExprNamed { .. } => return None,
        };
        let slot = slots.get_mut(index)?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(value.clone());
    }
    let given = slots.iter().rposition(Option::is_some)? + 1;
    let null = || FunctionArgExpr::Expr(Expr::Value(Value::Null.into()));
    Some(
        slots
            .into_iter()
            .take(given)
            .map(|slot| FunctionArg::Unnamed(slot.unwrap_or_else(null)))
            .collect(),
    )
}

/// The position of parameter `name`: quoted names match exactly, others in any case.
fn parameter_index(params: &[String], name: &Ident) -> Option<usize> {
    params.iter().position(|p| {
        if name.quote_style.is_some() {
            *p == name.value
        } else {
            p.eq_ignore_ascii_case(&name.value)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

    fn rewritten(sql: &str) -> String {
        let params = NamedParameters(HashMap::from([(
            "transcribe".to_string(),
            vec!["audio", "model", "language", "on_error"]
                .into_iter()
                .map(String::from)
                .collect(),
        )]));
        let mut statements = DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {}).unwrap();
        let mut statement = statements.pop_front().unwrap();
        params.fill_skipped(&mut statement);
        statement.to_string()
    }

    #[test]
    fn skipped_parameters_become_null() {
        assert_eq!(
            rewritten("SELECT transcribe(content, on_error => 'null') FROM t"),
            "SELECT transcribe(content, NULL, NULL, 'null') FROM t"
        );
        assert_eq!(
            rewritten("SELECT transcribe(on_error => 'null', audio => content) FROM t"),
            "SELECT transcribe(content, NULL, NULL, 'null') FROM t"
        );
        // Nothing named, an unknown name, another function: unchanged.
        assert_eq!(
            rewritten("SELECT transcribe(content) FROM t"),
            "SELECT transcribe(content) FROM t"
        );
        assert_eq!(
            rewritten("SELECT transcribe(content, speed => 2) FROM t"),
            "SELECT transcribe(content, speed => 2) FROM t"
        );
        assert_eq!(
            rewritten("EXPLAIN SELECT upper(transcribe(content, language => 'en')) FROM t"),
            "EXPLAIN SELECT upper(transcribe(content, NULL, 'en')) FROM t"
        );
    }
}
