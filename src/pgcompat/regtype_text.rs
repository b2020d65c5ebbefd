//! `oid::regtype::text`: the type's name, as PostgreSQL shows a `regtype`.
//!
//! datafusion-pg-catalog plans `regtype` as an integer, so `atttypid::regtype::text` (pgcli's
//! column list, many clients' type names) gave `23` where PostgreSQL gives `integer`. A cast
//! of a `regtype` to text becomes `format_type(oid, NULL)`, which names types as `regtype`'s
//! output does. Comparisons of `regtype` values stay numeric, as in PostgreSQL. A cast of a
//! `regtype[]` to `text[]`, also of a COALESCE of such arrays (pgcli's function argument
//! lists), becomes `format_types(oids)` ([`super::format_types`]).

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
};

use super::ast::{function_name, parse_expr};

/// Rewrites `expr` when it is `CAST(CAST(x AS regtype) AS text)` (or `varchar`), or the same
/// of arrays.
pub fn rewrite(expr: &mut Expr) {
    if let Some(named) = array_names(expr) {
        *expr = named;
        return;
    }
    let Expr::Cast {
        expr: inner,
        data_type: outer,
        ..
    } = expr
    else {
        return;
    };
    if !is_text(outer) {
        return;
    }
    let Expr::Cast {
        expr: oid,
        data_type,
        ..
    } = inner.as_ref()
    else {
        return;
    };
    if !is_regtype(data_type) {
        return;
    }
    if let Some(named) = parse_expr(&format!("format_type({oid}, NULL)")) {
        *expr = named;
    }
}

/// `format_types(x)` of `x::regtype[]::text[]` (or of a COALESCE of such arrays).
fn array_names(expr: &Expr) -> Option<Expr> {
    let Expr::Cast {
        expr: inner,
        data_type: DataType::Array(outer),
        ..
    } = expr
    else {
        return None;
    };
    if !is_text(element(outer)?) {
        return None;
    }
    parse_expr(&format!("format_types({})", oids(inner)?))
}

/// The oids of a `regtype[]` expression: `x` of `x::regtype[]`, and COALESCE of those.
fn oids(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Cast {
            expr: inner,
            data_type: DataType::Array(def),
            ..
        } if element(def).is_some_and(is_regtype) => Some(inner.as_ref().clone()),
        Expr::Function(f) if function_name(f).as_deref() == Some("coalesce") => {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let mut args = Vec::with_capacity(list.args.len());
            for arg in &list.args {
                let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg else {
                    return None;
                };
                args.push(oids(e)?.to_string());
            }
            parse_expr(&format!("coalesce({})", args.join(", ")))
        }
        _ => None,
    }
}

fn element(def: &ArrayElemTypeDef) -> Option<&DataType> {
    match def {
        ArrayElemTypeDef::AngleBracket(t)
        | ArrayElemTypeDef::SquareBracket(t, _)
        | ArrayElemTypeDef::Parenthesis(t) => Some(t),
        ArrayElemTypeDef::None => None,
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_)
    )
}

fn is_regtype(t: &DataType) -> bool {
    let DataType::Custom(name, _) = t else {
        return false;
    };
    let name = name.to_string().to_ascii_lowercase();
    name == "regtype" || name == "pg_catalog.regtype"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::pgcompat::ast::rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn regtype_arrays_as_text_are_type_names() {
        assert_eq!(
            rewritten("SELECT COALESCE(a::regtype[], b::regtype[])::text[], c::regtype[] FROM p"),
            "SELECT format_types(coalesce(a, b)), c::regtype[] FROM p"
        );
    }

    #[test]
    fn regtype_text_is_the_type_name() {
        assert_eq!(
            rewritten("SELECT att.atttypid::regtype::text FROM t WHERE x::regtype = 'y'::regtype"),
            "SELECT format_type(att.atttypid, NULL) FROM t WHERE x::regtype = 'y'::regtype"
        );
    }
}
