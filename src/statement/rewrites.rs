//! Every rewrite a statement gets before DataFusion plans it, in the order they run, and the
//! plan rules we add to DataFusion's or take out of them ([`logical_rules`],
//! [`physical_rules`], [`REMOVED_OPTIMIZER_RULES`]).
//!
//! A rewrite changes the syntax tree into one DataFusion plans as PostgreSQL would: what psql,
//! drivers and BI tools send (datafusion-pg-catalog's rules among ours), session settings
//! bound, and what DataFusion does not plan said another way. Replacements are built as
//! syntax trees. `EXPLAIN VERBOSE` lists those that changed its statement
//! ("logical_plan after mediasql_rewrites").

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, StringifiedPlan};
use datafusion::optimizer::analyzer::{Analyzer, AnalyzerRule};
use datafusion::optimizer::{Optimizer, OptimizerRule};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::{self, DiscardObject, Expr};
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, FixVersionColumnName, PrependUnqualifiedPgTableName,
    ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation, RewritePgCatalogOperator,
    RewriteRegCastToSubquery, SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};
use mediasql_udfs::sourced::NameSourceFiles;

use crate::exec::{
    DeferContentReads, LiftModelCalls, ProjectAggregateModelCalls, UngatheredWideRows, YieldPoints,
};
use crate::named_args::NamedParameters;
use crate::pgcompat::boolean_literals::BooleanLiterals;
use crate::pgcompat::checked_arithmetic::CheckedArithmetic;
use crate::pgcompat::distinct_on_subqueries::DistinctOnSubqueries;
use crate::pgcompat::scalar_subqueries::ScalarSubqueries;
use crate::pgcompat::select_list_subqueries::SelectListSubqueries;
use crate::pgcompat::settings::{Settings, bind_settings};
use crate::pgcompat::sort_subqueries::SortSubqueries;
use crate::pgcompat::unplanned_subqueries::{Lenient, UnplannedSubqueries};
use crate::pgcompat::{
    array_lengths, array_subquery, asyncpg_types, column_details, column_names, expandarray,
    generate_subscripts, json_arrows, like_escape, params, pg_rewrites, regproc, regtype_text,
    select_list_series, show_all_settings, substring_regex, unnest_from,
};

/// What a rewrite may read besides the statement.
pub struct Context<'a> {
    /// The session's settings (`current_setting`, `set_config`, `pg_settings`).
    pub settings: &'a mut dyn Settings,
    /// The types a client declared for `$1`, `$2`... (Parse), empty otherwise.
    pub declared: &'a [Option<datafusion::arrow::datatypes::DataType>],
}

/// One rewrite of a statement's syntax tree.
pub trait Rewrite: Send + Sync {
    /// Its name, as `EXPLAIN VERBOSE` lists it.
    fn name(&self) -> &'static str;
    /// Rewrites `statement` in place.
    fn rewrite(&self, statement: &mut SqlStatement, context: &mut Context<'_>) -> Result<()>;
}

type Step = dyn Fn(&mut SqlStatement, &mut Context<'_>) -> Result<()> + Send + Sync;

/// A rewrite of the whole statement.
struct Whole(&'static str, Box<Step>);

impl Rewrite for Whole {
    fn name(&self) -> &'static str {
        self.0
    }

    fn rewrite(&self, statement: &mut SqlStatement, context: &mut Context<'_>) -> Result<()> {
        (self.1)(statement, context)
    }
}

fn whole(
    name: &'static str,
    step: impl Fn(&mut SqlStatement, &mut Context<'_>) -> Result<()> + Send + Sync + 'static,
) -> Box<dyn Rewrite> {
    Box::new(Whole(name, Box::new(step)))
}

/// A rewrite of each expression, wherever it stands.
fn each_expr(name: &'static str, rewrite: fn(&mut Expr)) -> Box<dyn Rewrite> {
    whole(name, move |statement, _| {
        let _ = crate::pgcompat::ast::visit_exprs(statement, &mut |e| {
            rewrite(e);
            std::ops::ControlFlow::<()>::Continue(())
        });
        Ok(())
    })
}

/// One of datafusion-pg-catalog's rules, applied to plain SQL statements and to the one under
/// `EXPLAIN` (DataFusion's own statements, `COPY` and `CREATE EXTERNAL TABLE`, are left as
/// they are).
struct PgCatalogRule(&'static str, Box<dyn SqlStatementRewriteRule>);

impl Rewrite for PgCatalogRule {
    fn name(&self) -> &'static str {
        self.0
    }

    fn rewrite(&self, statement: &mut SqlStatement, _: &mut Context<'_>) -> Result<()> {
        if let Some(plain) = plain_statement(statement) {
            let placeholder = ast::Statement::Discard {
                object_type: DiscardObject::ALL,
            };
            let taken = std::mem::replace(plain, placeholder);
            *plain = self.1.rewrite(taken);
        }
        Ok(())
    }
}

/// The plain SQL statement of `statement`, also under `EXPLAIN`.
pub fn plain_statement(statement: &mut SqlStatement) -> Option<&mut ast::Statement> {
    match statement {
        SqlStatement::Statement(s) => Some(s.as_mut()),
        SqlStatement::Explain(explain) => plain_statement(&mut explain.statement),
        _ => None,
    }
}

/// datafusion-pg-catalog's statement rules, in its parser's order, less
/// `RemoveSubqueryFromProjection`: it replaces every select-list subquery it takes for
/// correlated with NULL, silently (DBeaver's and pgAdmin's property queries showed blank
/// namespaces). DataFusion plans those ([`SelectListSubqueries`], [`ScalarSubqueries`]), and
/// those it cannot become NULL after its optimizer has tried ([`UnplannedSubqueries`]).
pub fn pg_catalog_rules() -> Vec<(&'static str, Box<dyn SqlStatementRewriteRule>)> {
    vec![
        (
            "alias_duplicated_projection",
            Box::new(AliasDuplicatedProjectionRewrite),
        ),
        (
            "resolve_unqualified_identifier",
            Box::new(ResolveUnqualifiedIdentifier),
        ),
        (
            "array_any_all_operation",
            Box::new(RewriteArrayAnyAllOperation),
        ),
        (
            "prepend_unqualified_pg_table_name",
            Box::new(PrependUnqualifiedPgTableName),
        ),
        ("strip_callable_qualifier", Box::new(StripCallableQualifier)),
        ("fix_array_literal", Box::new(FixArrayLiteral)),
        (
            "current_user_to_session_user",
            Box::new(CurrentUserVariableToSessionUserFunctionCall),
        ),
        ("strip_collate", Box::new(StripCollate)),
        ("pg_catalog_operator", Box::new(RewritePgCatalogOperator)),
        (
            "reg_cast_to_subquery",
            Box::new(RewriteRegCastToSubquery::new()),
        ),
        ("fix_version_column_name", Box::new(FixVersionColumnName)),
    ]
}

/// The ordered rewrites, built once per engine (the regclass templates are parsed SQL).
pub struct Rewrites(Vec<Box<dyn Rewrite>>);

impl std::fmt::Debug for Rewrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|r| r.name()))
            .finish()
    }
}

impl Rewrites {
    /// The list, for an engine whose functions are `functions`.
    pub fn new(functions: &[ScalarUDF]) -> Self {
        let named = Arc::new(NamedParameters::of(functions));
        let asyncpg = asyncpg_types::TypeLookup::new();
        let mut list = vec![
            // Whole client queries first: asyncpg's type lookup is answered by another query.
            whole("asyncpg_type_lookup", move |s, _| {
                asyncpg.rewrite(s);
                Ok(())
            }),
            // Before datafusion-pg-catalog's rules, which turn the literal into an oid.
            whole("regproc_literals", |s, _| {
                regproc::rewrite(s);
                Ok(())
            }),
            whole("session_users", |s, _| {
                if let Some(plain) = plain_statement(s) {
                    pg_rewrites::session_users(plain);
                }
                Ok(())
            }),
        ];
        for (name, rule) in pg_catalog_rules() {
            list.push(Box::new(PgCatalogRule(name, rule)));
        }
        list.extend([
            whole("qualify_added_catalog_tables", |s, _| {
                if let Some(plain) = plain_statement(s) {
                    pg_rewrites::qualify_added_tables(plain);
                }
                Ok(())
            }),
            whole("named_arguments", move |s, _| {
                named.fill_skipped(s);
                Ok(())
            }),
            whole("current_setting", |s, cx| bind_settings(s, cx.settings)),
            whole("pg_settings", |s, cx| {
                show_all_settings::rewrite(s, cx.settings);
                Ok(())
            }),
            whole("column_names", |s, _| {
                column_names::rewrite(s);
                Ok(())
            }),
            whole("unnest_in_from", |s, _| {
                unnest_from::rewrite(s);
                Ok(())
            }),
            whole("array_subquery", |s, _| {
                array_subquery::rewrite(s);
                Ok(())
            }),
            whole("generate_series_in_select_list", |s, _| {
                select_list_series::rewrite(s);
                Ok(())
            }),
            each_expr("like_escape", like_escape::rewrite),
            each_expr("array_lengths", array_lengths::rewrite),
            each_expr("substring_regex", substring_regex::rewrite),
            each_expr("regtype_text", regtype_text::rewrite),
            each_expr("generate_subscripts", generate_subscripts::rewrite),
            each_expr("pg_expandarray", expandarray::rewrite),
            each_expr("column_details", column_details::rewrite),
            each_expr("json_arrows", json_arrows::rewrite),
            // Last: the parameters' places are final.
            whole("declared_parameter_types", |s, cx| {
                params::cast_declared(s, cx.declared)
            }),
        ]);
        Self(list)
    }

    /// Applies every rewrite to `statement`, in order. With `trace`, returns the names of
    /// those that changed it (each is then compared with a copy of the statement).
    pub fn apply(
        &self,
        statement: &mut SqlStatement,
        context: &mut Context<'_>,
        trace: bool,
    ) -> Result<Vec<&'static str>> {
        let mut fired = Vec::new();
        for rewrite in &self.0 {
            let before = trace.then(|| statement.clone());
            rewrite.rewrite(statement, context)?;
            if before.is_some_and(|b| b != *statement) {
                fired.push(rewrite.name());
            }
        }
        Ok(fired)
    }

    /// The names of the rewrites, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.name()).collect()
    }
}

/// How `EXPLAIN VERBOSE` shows the rewrites that changed its statement.
pub fn explained(fired: &[&str]) -> StringifiedPlan {
    let text = match fired {
        [] => "(none)".to_string(),
        names => names.join(", "),
    };
    StringifiedPlan::new(
        datafusion::logical_expr::PlanType::AnalyzedLogicalPlan {
            analyzer_name: "mediasql_rewrites".into(),
        },
        text,
    )
}

/// Analyzer rules: PostgreSQL's typing of quoted literals before DataFusion's type coercion;
/// select lists of DISTINCT ON split, and correlated scalar subqueries aggregated, before
/// DataFusion checks where subqueries stand and what they return; then DataFusion's own;
/// then, once types are coerced, our `functions` given the row's file for their errors
/// ([`NameSourceFiles`]) and integer arithmetic that raises on overflow
/// ([`CheckedArithmetic`]).
pub fn analyzer_rules(functions: &[ScalarUDF]) -> Vec<Arc<dyn AnalyzerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn AnalyzerRule + Send + Sync>> = vec![
        Arc::new(BooleanLiterals),
        Arc::new(DistinctOnSubqueries),
        Arc::new(ScalarSubqueries),
    ];
    rules.extend(Analyzer::new().rules);
    rules.push(Arc::new(NameSourceFiles::new(functions)));
    rules.push(Arc::new(CheckedArithmetic));
    rules
}

/// Optimizer rules: DataFusion's, with its decorrelating rules made lenient (one that fails
/// leaves its subquery to [`UnplannedSubqueries`]); EXISTS / IN in select lists become joins
/// right after DataFusion decorrelates those of filters, before filters are pushed into
/// subqueries, out of the correlated columns' reach; scalar subqueries of ORDER BY become
/// projected columns where DataFusion turns them into joins (on a cluster,
/// [`SortSubqueries`]); then model calls lifted out of aggregates, and the subqueries nothing
/// could plan.
pub fn logical_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> = Optimizer::new()
        .rules
        .into_iter()
        .filter(|rule| !REMOVED_OPTIMIZER_RULES.contains(&rule.name()))
        .map(|rule| match Lenient::DECORRELATING.contains(&rule.name()) {
            true => Arc::new(Lenient(rule)) as Arc<dyn OptimizerRule + Send + Sync>,
            false => rule,
        })
        .collect();
    let decorrelate = rules
        .iter()
        .position(|rule| rule.name() == "decorrelate_predicate_subquery")
        .map_or(0, |i| i + 1);
    rules.insert(decorrelate, Arc::new(SelectListSubqueries));
    // Before DataFusion turns scalar subqueries into joins (on a cluster).
    let to_join = rules
        .iter()
        .position(|rule| rule.name() == "scalar_subquery_to_join")
        .unwrap_or(0);
    rules.insert(to_join, Arc::new(SortSubqueries));
    rules.push(Arc::new(ProjectAggregateModelCalls));
    rules.push(Arc::new(UnplannedSubqueries));
    rules
}

/// DataFusion 55's leaf-expression rules move `get_field(..)` below filters as a cheap
/// expression, model calls inside it included: `classify(content)['label'] ... WHERE kind =
/// 'image'` ran the model on every file, PDFs too, before the filter.
pub const REMOVED_OPTIMIZER_RULES: [&str; 2] =
    ["extract_leaf_expressions", "push_down_leaf_projections"];

/// Physical rules after DataFusion's: model calls into `InferenceExec`, yield points above
/// joins and unnests, wide rows left ungathered under repartitions.
pub fn physical_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    vec![
        Arc::new(LiftModelCalls),
        Arc::new(DeferContentReads),
        Arc::new(YieldPoints),
        Arc::new(UngatheredWideRows),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pgcompat::ast::parsed;
    use std::collections::BTreeMap;

    /// `sql` with every rewrite applied, as text.
    pub(crate) fn rewritten(sql: &str) -> String {
        let mut statement = parsed(sql);
        let mut settings = NoSettings::default();
        let mut context = Context {
            settings: &mut settings,
            declared: &[],
        };
        Rewrites::new(&[])
            .apply(&mut statement, &mut context, false)
            .unwrap();
        statement.to_string()
    }

    #[derive(Default)]
    struct NoSettings(BTreeMap<String, String>);

    impl Settings for NoSettings {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
        fn set(&mut self, name: &str, value: &str) {
            self.0.insert(name.into(), value.into());
        }
        fn all(&self) -> Vec<(String, String)> {
            Vec::new()
        }
    }

    #[test]
    fn the_rewrites_that_fired_are_named() {
        let rewrites = Rewrites::new(&[]);
        let mut settings = NoSettings::default();
        let mut context = Context {
            settings: &mut settings,
            declared: &[],
        };
        let mut statement =
            parsed("SELECT relname FROM pg_class WHERE relname LIKE 'a!_%' ESCAPE '!'");
        let fired = rewrites.apply(&mut statement, &mut context, true).unwrap();
        assert_eq!(
            fired,
            ["prepend_unqualified_pg_table_name", "like_escape"],
            "{statement}"
        );
        assert!(
            statement.to_string().contains("pg_catalog.pg_class"),
            "{statement}"
        );
        let names = rewrites.names();
        assert_eq!(names.first(), Some(&"asyncpg_type_lookup"));
        assert_eq!(names.last(), Some(&"declared_parameter_types"));
    }
}
