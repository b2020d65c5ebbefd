//! What PostgreSQL clients expect beyond datafusion-pg-catalog:
//! - the catalog: our functions in `pg_proc` with their docs ([`proc`]), typed array
//!   columns ([`catalog`]), `information_schema` in PostgreSQL's shape
//!   ([`information_schema`]), the configured users as roles ([`roles`]), session settings as
//!   `current_setting`/`set_config` ([`settings`]) and `pg_settings` ([`show_all_settings`]);
//! - functions it lacks: catalog functions ([`functions`]), [`format`](mod@format), [`pg_size_pretty`],
//!   [`pg_typeof`], `length` of bytes ([`length`]), `array_to_string` of array text
//!   ([`array_to_string`]);
//! - typing: parameters planned with the types clients declare ([`params`]), `flag = 'f'`
//!   ([`boolean_literals`]), `'f'::regproc` ([`regproc`]), `x::name` ([`type_names`]),
//!   integer literals beside int4s as int4 ([`int_literals`]), integer arithmetic that
//!   raises on overflow ([`checked_arithmetic`]);
//! - rewrites of what DataFusion does not plan, asyncpg's type lookup ([`asyncpg_types`])
//!   and result column names ([`column_names`]), run in the order of
//!   [`crate::statement::rewrites`];
//! - subqueries in select lists ([`select_list_subqueries`], [`distinct_on_subqueries`],
//!   [`scalar_subqueries`], [`unplanned_subqueries`]).

pub mod array_lengths;
pub mod array_subquery;
pub mod array_to_string;
pub mod arrays;
pub mod ast;
pub mod asyncpg_types;
pub mod boolean_literals;
pub mod catalog;
pub mod catalog_overlay;
pub mod checked_arithmetic;
pub mod column_details;
pub mod column_names;
pub mod distinct_on_subqueries;
pub mod expandarray;
pub mod format;
pub mod format_types;
pub mod functions;
pub mod generate_subscripts;
pub mod information_schema;
pub mod int_literals;
pub mod json_arrows;
pub mod json_build_object;
pub mod length;
pub mod like_escape;
pub mod params;
pub mod pg_rewrites;
pub mod pg_size_pretty;
pub mod pg_typeof;
pub mod proc;
pub mod regproc;
pub mod regtype_text;
pub mod roles;
pub mod scalar_subqueries;
pub mod select_list_series;
pub mod select_list_subqueries;
pub mod settings;
pub mod show_all_settings;
pub mod sort_subqueries;
pub mod substring_regex;
pub mod type_names;
pub mod unnest_from;
pub mod unplanned_subqueries;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::Transformed;
use datafusion::logical_expr::expr::BinaryExpr;
use datafusion::logical_expr::{DocSection, Documentation, Expr, Operator, ScalarUDF};
use datafusion::prelude::SessionContext;
use datafusion_pg_catalog::pg_catalog::has_privilege_udf::create_has_privilege_udf;

/// The documentation of a PostgreSQL function we add: what it does, its syntax, its one
/// argument and an example.
fn pg_function_doc(
    description: &str,
    syntax: &str,
    (argument, about): (&str, &str),
    example: &str,
) -> Documentation {
    let section = DocSection {
        include: true,
        label: "PostgreSQL functions",
        description: None,
    };
    Documentation::builder(section, description, syntax)
        .with_argument(argument, about)
        .with_sql_example(example)
        .build()
}

/// Registers the catalog functions and our `pg_proc` rows on `ctx` (after
/// datafusion-pg-catalog's own setup).
pub fn install(ctx: &SessionContext, catalog: &str, ours: &[ScalarUDF]) -> Result<()> {
    let state = ctx.state_ref();
    let planned = crate::rebuild::rebuilt(&state.read(), |builder| {
        builder.with_type_planner(Arc::new(type_names::PgTypeNames::default()))
    });
    *state.write() = planned;
    let infos = Arc::new(proc::function_infos(ours));
    ctx.register_udf(functions::version());
    ctx.register_udf(format::format());
    ctx.register_udf(pg_size_pretty::pg_size_pretty());
    ctx.register_udf(pg_typeof::pg_typeof());
    ctx.register_udf(length::length());
    ctx.register_udf(array_to_string::array_to_string());
    ctx.register_udf(
        datafusion::functions::string::uuid()
            .as_ref()
            .clone()
            .with_aliases(["gen_random_uuid"]),
    );
    ctx.register_udf(format_types::format_types());
    ctx.register_udf(json_build_object::json_build_object());
    for udf in functions::visibility()
        .into_iter()
        .chain(functions::recovery())
    {
        ctx.register_udf(udf);
    }
    ctx.register_udf(functions::to_regtype());
    for udf in checked_arithmetic::checked_functions() {
        ctx.register_udf(udf);
    }
    for name in ["has_function_privilege", "has_column_privilege"] {
        ctx.register_udf(create_has_privilege_udf(name));
    }
    ctx.register_udf(expandarray::pg_expandarray_pairs());
    for udf in functions::always_null() {
        ctx.register_udf(udf);
    }
    for udf in functions::lookups(&infos) {
        ctx.register_udf(udf);
    }
    catalog::mend_pg_catalog(ctx, catalog, infos)?;
    information_schema::install(ctx, catalog)
}

/// `e` with the literal on one side of a binary operator replaced by `retyped(literal)` where
/// `operator` holds and the other side is what `beside` asks for: PostgreSQL types a literal
/// by what it stands beside (`flag = 'true'`, `int4col + 1`).
fn retype_literal_beside(
    e: Expr,
    operator: impl Fn(Operator) -> bool,
    retyped: impl Fn(&Expr) -> Option<Expr>,
    beside: impl Fn(&Expr) -> bool,
) -> Transformed<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return Transformed::no(e);
    };
    if !operator(op) {
        return Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right }));
    }
    let (left, right, changed) = match (retyped(&left), retyped(&right)) {
        (Some(literal), _) if beside(&right) => (Box::new(literal), right, true),
        (_, Some(literal)) if beside(&left) => (left, Box::new(literal), true),
        _ => (left, right, false),
    };
    let expr = Expr::BinaryExpr(BinaryExpr { left, op, right });
    if changed {
        Transformed::yes(expr)
    } else {
        Transformed::no(expr)
    }
}
