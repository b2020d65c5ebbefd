//! `information_schema._pg_expandarray(array)`, the set-returning function pgjdbc's
//! `getPrimaryKeys` and `getIndexInfo` use: one row `(x, n)` per element (the element and
//! its 1-based position). It becomes `unnest(pg_expandarray_pairs(array))`, a list of
//! `{x, n}` structs unnested as DataFusion does; and `(expr).field` — which DataFusion does
//! not plan — becomes `expr['field']`, so `(_pg_expandarray(k)).n` works too.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int32Array, ListArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::{
    AccessExpr, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Subscript, Value,
};

use super::ast::{function_name, parse_expr};

const PAIRS: &str = "pg_expandarray_pairs";

/// Rewrites `expr` when it is a `_pg_expandarray` call or a `(expr).field` access.
pub fn rewrite(expr: &mut Expr) {
    match expr {
        Expr::CompoundFieldAccess { root, access_chain } => {
            // Dots right after a name qualify it (`i.indkey[1]`); after an expression
            // (`(e).f`) or a subscript (`a[1].f`) they name a field.
            let mut qualifying = matches!(**root, Expr::Identifier(_));
            for access in access_chain.iter_mut() {
                match access {
                    AccessExpr::Dot(Expr::Identifier(field)) if !qualifying => {
                        let name = Value::SingleQuotedString(field.value.clone());
                        let index = Expr::Value(name.into());
                        *access = AccessExpr::Subscript(Subscript::Index { index });
                    }
                    AccessExpr::Dot(_) => {}
                    AccessExpr::Subscript(_) => qualifying = false,
                }
            }
        }
        Expr::Function(function)
            if function_name(function).is_some_and(|n| n == "_pg_expandarray") =>
        {
            let FunctionArguments::List(list) = &function.args else {
                return;
            };
            let [FunctionArg::Unnamed(FunctionArgExpr::Expr(array))] = list.args.as_slice() else {
                return;
            };
            if let Some(rewritten) = parse_expr(&format!("unnest({PAIRS}({array}))")) {
                *expr = rewritten;
            }
        }
        _ => {}
    }
}

/// `pg_expandarray_pairs(list)` → list of `{x: element, n: position}`.
pub fn pg_expandarray_pairs() -> ScalarUDF {
    ScalarUDF::new_from_impl(Pairs {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Pairs {
    signature: Signature,
}

fn pair_fields(element: &DataType) -> Fields {
    Fields::from(vec![
        Field::new("x", element.clone(), true),
        Field::new("n", DataType::Int32, false),
    ])
}

impl ScalarUDFImpl for Pairs {
    fn name(&self) -> &str {
        PAIRS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args.first() {
            Some(DataType::List(element)) => Ok(DataType::List(Arc::new(Field::new_list_field(
                DataType::Struct(pair_fields(element.data_type())),
                true,
            )))),
            Some(DataType::Null) => Ok(DataType::Null),
            other => plan_err!("_pg_expandarray expects an array, got {other:?}"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let Some(lists) = array.as_any().downcast_ref::<ListArray>() else {
            return exec_err!("_pg_expandarray expects an array");
        };
        let offsets = lists.offsets();
        let first = offsets.first().copied().unwrap_or(0);
        let mut positions = Vec::with_capacity(lists.values().len());
        for window in offsets.windows(2) {
            positions.extend(1..=(window[1] - window[0]));
        }
        let values = lists.values().slice(first as usize, positions.len());
        let element = values.data_type().clone();
        let pairs = StructArray::try_new(
            pair_fields(&element),
            vec![values, Arc::new(Int32Array::from(positions)) as ArrayRef],
            None,
        )?;
        let shifted: Vec<i32> = offsets.iter().map(|o| o - first).collect();
        let result = ListArray::try_new(
            Arc::new(Field::new_list_field(
                DataType::Struct(pair_fields(&element)),
                true,
            )),
            datafusion::arrow::buffer::OffsetBuffer::new(shifted.into()),
            Arc::new(pairs),
            lists.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgcompat::ast::rewritten;

    fn sql(sql: &str) -> String {
        rewritten(sql, rewrite).to_string()
    }

    #[test]
    fn fields_of_expressions_become_subscripts() {
        assert_eq!(
            sql("SELECT (_pg_expandarray(k)).n FROM t"),
            "SELECT (unnest(pg_expandarray_pairs(k)))['n'] FROM t"
        );
        assert_eq!(sql("SELECT a[1].f FROM t"), "SELECT a[1]['f'] FROM t");
    }

    #[test]
    fn qualified_columns_stay_qualified() {
        assert_eq!(
            sql("SELECT i.indkey[ia.attnum - 1] FROM i, ia"),
            "SELECT i.indkey[ia.attnum - 1] FROM i, ia"
        );
    }
}
