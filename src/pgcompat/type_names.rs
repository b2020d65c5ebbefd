//! PostgreSQL type names sqlparser does not know, planned: `x::name` (psqlODBC's catalog
//! queries cast literals to it), `bpchar` and `"char"` are text. Everything else goes to
//! datafusion-pg-catalog's planner (oid aliases such as `regclass`, `pg_catalog.`-qualified
//! builtins), which this one wraps: DataFusion takes one type planner.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::{DataType as SqlType, ObjectNamePart};
use datafusion_pg_catalog::pg_catalog::oid_type_planner::PgOidTypePlanner;

/// The text types PostgreSQL has beside `text` and `varchar`.
const TEXT_TYPES: [&str; 3] = ["name", "bpchar", "char"];

/// Plans `name`, `bpchar` and `"char"` as `Utf8`, the rest as datafusion-pg-catalog does.
#[derive(Debug, Default)]
pub struct PgTypeNames {
    catalog: PgOidTypePlanner,
}

impl TypePlanner for PgTypeNames {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<Arc<Field>>> {
        if let Some(field) = self.catalog.plan_type_field(sql_type)? {
            return Ok(Some(field));
        }
        Ok(is_text_type(sql_type).then(|| Arc::new(Field::new("", DataType::Utf8, true))))
    }
}

/// Whether `sql_type` is one of [`TEXT_TYPES`], unqualified (sqlparser reads them as custom
/// types; a quoted `"char"` too).
fn is_text_type(sql_type: &SqlType) -> bool {
    let SqlType::Custom(name, modifiers) = sql_type else {
        return false;
    };
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => {
            modifiers.is_empty() && TEXT_TYPES.contains(&ident.value.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn cast_type(sql: &str) -> DataType {
        let ctx = SessionContext::new();
        let state = datafusion::execution::SessionStateBuilder::new_from_existing(ctx.state())
            .with_type_planner(Arc::new(PgTypeNames::default()))
            .build();
        let plan = state.create_logical_plan(sql).await.unwrap();
        plan.schema().field(0).data_type().clone()
    }

    #[tokio::test]
    async fn text_types_are_utf8() {
        assert_eq!(cast_type("SELECT 'x'::name").await, DataType::Utf8);
        assert_eq!(cast_type("SELECT 'x'::bpchar").await, DataType::Utf8);
        assert_eq!(cast_type("SELECT 'x'::\"char\"").await, DataType::Utf8);
    }

    #[tokio::test]
    async fn the_catalogs_types_still_plan() {
        assert_eq!(cast_type("SELECT 1::regclass").await, DataType::Int32);
        assert_eq!(
            cast_type("SELECT 'x'::pg_catalog.text").await,
            DataType::Utf8
        );
    }
}
