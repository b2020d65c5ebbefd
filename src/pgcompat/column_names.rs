//! Result column names as PostgreSQL gives them.
//!
//! DataFusion names an unaliased select item after its whole expression (`count(*)`,
//! `Int64(1)`, `classify(images.content)[label]`); PostgreSQL after the function, the type
//! of a cast, or `?column?` (its `FigureColname`). Clients read rows by these names
//! (`row["count"]`, pandas' columns, BI tools' headers), so the top-level select list of a
//! query gets PostgreSQL's names as aliases:
//! - a function call: its name (`count`, `classify`);
//! - a cast: the name of what is cast when that is a column or a call, else the type's
//!   (`1::int4` → `int4`);
//! - a field taken by name (`classify(content)['label']`): the field (`label`); an element
//!   taken by index: the name of the array;
//! - `CASE` → `case`, unless its ELSE result has a name of its own (a column, a call),
//!   whose name it takes; `ARRAY[..]` → `array`, `EXISTS` → `exists`, other constructs PostgreSQL
//!   names after themselves likewise; literals and operators → `?column?`.
//!
//! Columns keep their own names. DataFusion needs unique names, so a name that two items
//! would share (`SELECT (SELECT count(*) ..), (SELECT count(*) ..)`, which DataFusion itself
//! refused as two `(<subquery>)`) is given as `__alias_<position>_<name>`, which clients see as
//! `<name>` ([`mediasql_wire::encode::pg_fields`]). A select list with `*` is left as it is
//! (its names are not known here). Subqueries and `EXPLAIN` are left alone.

use datafusion::sql::parser::{CopyToSource, Statement as SqlStatement};
use datafusion::sql::sqlparser::ast::{
    AccessExpr, DataType, Expr, Ident, Select, SelectItem, SetExpr, Statement, Subscript, Value,
};

use super::ast::function_name;

/// Names the unaliased items of `statement`'s top-level select list as PostgreSQL would.
pub fn rewrite(statement: &mut SqlStatement) {
    let query = match statement {
        SqlStatement::Statement(s) => match s.as_mut() {
            Statement::Query(query) => query,
            _ => return,
        },
        SqlStatement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => query,
            CopyToSource::Relation(_) => return,
        },
        _ => return,
    };
    if let Some(select) = leftmost_select(&mut query.body) {
        name_items(select);
    }
}

/// The SELECT whose names a query's result takes (the first of a set operation).
fn leftmost_select(body: &mut SetExpr) -> Option<&mut Select> {
    match body {
        SetExpr::Select(select) => Some(select),
        SetExpr::SetOperation { left, .. } => leftmost_select(left),
        _ => None,
    }
}

fn name_items(select: &mut Select) {
    let mut names: Vec<Option<String>> = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_)
            | SelectItem::QualifiedWildcard(..)
            | SelectItem::ExprWithAliases { .. } => return,
            SelectItem::ExprWithAlias { alias, .. } => names.push(Some(alias.value.clone())),
            SelectItem::UnnamedExpr(expr) => names.push(Some(
                column_name(expr).map_or_else(|| figure(expr).0, |c| c.to_string()),
            )),
        }
    }
    let count = |name: &str| names.iter().flatten().filter(|n| *n == name).count();
    let given: Vec<Option<String>> = select
        .projection
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (item, name))| match (item, name) {
            (SelectItem::UnnamedExpr(expr), Some(name)) if column_name(expr).is_none() => {
                Some(match count(name) {
                    1 => name.clone(),
                    _ => format!("__alias_{i}_{name}"),
                })
            }
            _ => None,
        })
        .collect();
    for (item, name) in select.projection.iter_mut().zip(given) {
        let Some(name) = name else { continue };
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        let expr = std::mem::replace(expr, Expr::Value(Value::Null.into()));
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('"', name),
        };
    }
}

/// The column a plain column reference names (DataFusion names it so already).
fn column_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Identifier(ident) => Some(&ident.value),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.as_str()),
        _ => None,
    }
}

/// PostgreSQL's name for `expr` and whether it is strong (a column's or a call's, which a
/// cast keeps rather than naming itself after its type).
fn figure(expr: &Expr) -> (String, bool) {
    let named = |name: &str| (name.to_string(), true);
    let weak = |name: &str| (name.to_string(), false);
    match expr {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            named(column_name(expr).unwrap_or("?column?"))
        }
        Expr::Function(function) => named(&function_name(function).unwrap_or_default()),
        Expr::Nested(inner) => figure(inner),
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } => match figure(inner) {
            strong @ (_, true) => strong,
            _ => weak(&type_name(data_type)),
        },
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(AccessExpr::Dot(field)) => figure(field),
            Some(AccessExpr::Subscript(Subscript::Index {
                index: Expr::Value(v),
            })) => match &v.value {
                Value::SingleQuotedString(field) => named(field),
                _ => figure(root),
            },
            _ => figure(root),
        },
        // Named after its ELSE result where that has a strong name (`CASE ... ELSE
        // c.reloftype END` is `reloftype`), else `case`.
        Expr::Case { else_result, .. } => match else_result.as_deref().map(figure) {
            Some(strong @ (_, true)) => strong,
            _ => weak("case"),
        },
        Expr::Array(_) => named("array"),
        Expr::Exists { .. } => named("exists"),
        // A scalar subquery is named after its one column.
        Expr::Subquery(query) => match query.body.as_ref() {
            SetExpr::Select(select) => match select.projection.first() {
                Some(SelectItem::ExprWithAlias { alias, .. }) => named(&alias.value),
                Some(SelectItem::UnnamedExpr(e)) => figure(e),
                _ => weak("?column?"),
            },
            _ => weak("?column?"),
        },
        Expr::Extract { .. } => named("extract"),
        Expr::Substring { .. } => named("substring"),
        Expr::Trim { .. } => named("btrim"),
        Expr::Position { .. } => named("position"),
        Expr::Overlay { .. } => named("overlay"),
        Expr::Ceil { .. } => named("ceil"),
        Expr::Floor { .. } => named("floor"),
        Expr::Interval(_) => named("interval"),
        Expr::TypedString(typed) => weak(&type_name(&typed.data_type)),
        _ => weak("?column?"),
    }
}

/// The catalog name PostgreSQL gives a cast's column (`int4`, `float8`, `text`); an array
/// type is named after its element.
fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Array(element) => {
            return match element {
                datafusion::sql::sqlparser::ast::ArrayElemTypeDef::AngleBracket(t)
                | datafusion::sql::sqlparser::ast::ArrayElemTypeDef::SquareBracket(t, _)
                | datafusion::sql::sqlparser::ast::ArrayElemTypeDef::Parenthesis(t) => type_name(t),
                datafusion::sql::sqlparser::ast::ArrayElemTypeDef::None => "array".into(),
            };
        }
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::Real | DataType::Float4 => "float4",
        DataType::Double(_) | DataType::DoublePrecision | DataType::Float8 => "float8",
        DataType::Float(_) => "float8",
        DataType::Boolean | DataType::Bool => "bool",
        DataType::Varchar(_) | DataType::CharacterVarying(_) => "varchar",
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Numeric(_) | DataType::Decimal(_) => "numeric",
        DataType::Timestamp(_, tz) => {
            return if matches!(
                tz,
                datafusion::sql::sqlparser::ast::TimezoneInfo::WithTimeZone
                    | datafusion::sql::sqlparser::ast::TimezoneInfo::Tz
            ) {
                "timestamptz".into()
            } else {
                "timestamp".into()
            };
        }
        DataType::Custom(name, _) => {
            return name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map_or_else(|| "?column?".into(), |i| i.value.to_ascii_lowercase());
        }
        other => return other.to_string().to_ascii_lowercase(),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::parsed;

    fn named(sql: &str) -> String {
        let mut statement = parsed(sql);
        rewrite(&mut statement);
        statement.to_string()
    }

    #[test]
    fn items_are_named_as_postgresql_names_them() {
        assert_eq!(
            named("SELECT count(*), 1, 2::int, x::text, classify(content)['label'], path FROM t"),
            "SELECT count(*) AS \"count\", 1 AS \"?column?\", 2::INT AS \"int4\", \
             x::TEXT AS \"x\", classify(content)['label'] AS \"label\", path FROM t"
        );
        assert_eq!(
            named("SELECT CASE WHEN a THEN 1 END, a + 1 AS b FROM t"),
            "SELECT CASE WHEN a THEN 1 END AS \"case\", a + 1 AS b FROM t"
        );
    }

    #[test]
    fn a_case_is_named_after_its_else_result_where_that_has_a_name() {
        assert_eq!(
            named(
                "SELECT CASE WHEN c.reloftype = 0 THEN '' \
                 ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, \
                 CASE WHEN a THEN 1 ELSE lower(x) END, CASE WHEN a THEN b ELSE 0::oid END FROM t"
            ),
            "SELECT CASE WHEN c.reloftype = 0 THEN '' \
             ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END AS \"reloftype\", \
             CASE WHEN a THEN 1 ELSE lower(x) END AS \"lower\", \
             CASE WHEN a THEN b ELSE 0::oid END AS \"case\" FROM t"
        );
    }

    #[test]
    fn shared_names_are_numbered() {
        assert_eq!(
            named("SELECT (SELECT count(*) FROM u), (SELECT max(v) AS top FROM u)"),
            "SELECT (SELECT count(*) FROM u) AS \"count\", (SELECT max(v) AS top FROM u) AS \"top\""
        );
        assert_eq!(
            named("SELECT 1, 2, lower(a), x AS lower FROM t"),
            "SELECT 1 AS \"__alias_0_?column?\", 2 AS \"__alias_1_?column?\", \
             lower(a) AS \"__alias_2_lower\", x AS lower FROM t"
        );
    }

    #[test]
    fn wildcards_and_explain_are_left() {
        for sql in [
            "SELECT *, count(*) FROM t",
            "EXPLAIN SELECT count(*) FROM t",
        ] {
            assert_eq!(named(sql), sql);
        }
    }
}
