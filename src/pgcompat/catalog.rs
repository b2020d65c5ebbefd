//! `pg_catalog` as datafusion-pg-catalog builds it, with what clients found wrong mended:
//! - `pg_proc` also holds our functions ([`super::proc`]);
//! - the array columns of `pg_constraint` (`conkey`, `confkey`) and `pg_index` (`indkey`,
//!   `indoption`, `indclass`, `indcollation`) are arrays, as in PostgreSQL, not text, so
//!   that the `unnest(conkey)` of SQLAlchemy's and JDBC's key queries plans.
//!
//! Each mended table is built from the builtin one on first use, then kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, Int16Builder, Int32Builder, ListBuilder, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::MemTable;
use datafusion::physical_plan::collect;
use datafusion::prelude::SessionContext;

use super::proc::{FunctionInfo, our_rows};

/// Re-registers `pg_catalog` over its mended tables.
pub fn mend_pg_catalog(
    ctx: &SessionContext,
    catalog: &str,
    functions: Arc<BTreeMap<i32, FunctionInfo>>,
) -> Result<()> {
    let missing = || DataFusionError::Internal("pg_catalog is not set up".into());
    let catalog = ctx.catalog(catalog).ok_or_else(missing)?;
    let inner = catalog.schema("pg_catalog").ok_or_else(missing)?;
    let schema = Arc::new(MendedCatalog {
        inner,
        functions,
        built: Mutex::default(),
    });
    catalog.register_schema("pg_catalog", schema)?;
    Ok(())
}

struct MendedCatalog {
    inner: Arc<dyn SchemaProvider>,
    functions: Arc<BTreeMap<i32, FunctionInfo>>,
    built: Mutex<HashMap<String, Arc<dyn TableProvider>>>,
}

impl std::fmt::Debug for MendedCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MendedCatalog").finish_non_exhaustive()
    }
}

/// The array columns of a mended table, with their element type.
fn array_columns(table: &str) -> &'static [(&'static str, DataType)] {
    match table {
        "pg_constraint" => &[("conkey", DataType::Int16), ("confkey", DataType::Int16)],
        "pg_index" => &[
            ("indkey", DataType::Int16),
            ("indoption", DataType::Int16),
            ("indclass", DataType::Int32),
            ("indcollation", DataType::Int32),
        ],
        _ => &[],
    }
}

#[async_trait]
impl SchemaProvider for MendedCatalog {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        let mended = name == "pg_proc" || !array_columns(&name).is_empty();
        let Some(builtin) = self.inner.table(&name).await? else {
            return Ok(None);
        };
        if !mended {
            return Ok(Some(builtin));
        }
        if let Some(table) = self.built()?.get(&name) {
            return Ok(Some(Arc::clone(table)));
        }
        // A context of its own: the builtin tables are in memory and need nothing of the
        // engine's (whose catalog holds this schema: no cycle).
        let ctx = SessionContext::new();
        let plan = builtin.scan(&ctx.state(), None, &[], None).await?;
        let batches = collect(plan, ctx.task_ctx()).await?;
        let (schema, batches) = if name == "pg_proc" {
            let mut batches = batches;
            batches.push(our_rows(&builtin.schema(), &self.functions)?);
            (builtin.schema(), batches)
        } else {
            typed_arrays(&builtin.schema(), &batches, array_columns(&name))?
        };
        let table: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(schema, vec![batches])?);
        self.built()?.insert(name, Arc::clone(&table));
        Ok(Some(table))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

impl MendedCatalog {
    fn built(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Arc<dyn TableProvider>>>> {
        self.built
            .lock()
            .map_err(|_| DataFusionError::Internal("pg_catalog lock poisoned".into()))
    }
}

/// `batches` with each of `columns` parsed from PostgreSQL's array text (`{1,2}`, or the
/// vector form `1 2`) into a list.
fn typed_arrays(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    columns: &[(&str, DataType)],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let element_of = |name: &str| columns.iter().find(|(c, _)| *c == name).map(|(_, t)| t);
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match element_of(f.name()) {
            Some(element) if f.data_type() == &DataType::Utf8 => Field::new(
                f.name(),
                DataType::List(Arc::new(Field::new_list_field(element.clone(), true))),
                true,
            ),
            _ => f.as_ref().clone(),
        })
        .collect();
    let typed = Arc::new(Schema::new(fields));
    let batches = batches
        .iter()
        .map(|batch| {
            let columns = batch
                .columns()
                .iter()
                .zip(typed.fields())
                .map(|(column, field)| match field.data_type() {
                    DataType::List(element) if column.data_type() == &DataType::Utf8 => {
                        parse_arrays(column, element.data_type())
                    }
                    _ => Ok(Arc::clone(column)),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(RecordBatch::try_new(Arc::clone(&typed), columns)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((typed, batches))
}

fn parse_arrays(column: &ArrayRef, element: &DataType) -> Result<ArrayRef> {
    let texts = column
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| DataFusionError::Internal("array text column is not text".into()))?;
    let numbers = |text: &str| -> Vec<i64> {
        text.trim_matches(|c| c == '{' || c == '}')
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    };
    Ok(match element {
        DataType::Int16 => {
            let mut builder = ListBuilder::new(Int16Builder::new());
            for text in texts.iter() {
                match text {
                    Some(t) => {
                        for n in numbers(t) {
                            builder.values().append_option(i16::try_from(n).ok());
                        }
                        builder.append(true);
                    }
                    None => builder.append(false),
                }
            }
            Arc::new(builder.finish())
        }
        _ => {
            let mut builder = ListBuilder::new(Int32Builder::new());
            for text in texts.iter() {
                match text {
                    Some(t) => {
                        for n in numbers(t) {
                            builder.values().append_option(i32::try_from(n).ok());
                        }
                        builder.append(true);
                    }
                    None => builder.append(false),
                }
            }
            Arc::new(builder.finish())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_text_becomes_lists() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("{1,3}"), Some("2 4"), None]));
        let lists = parse_arrays(&texts, &DataType::Int16).unwrap();
        let lists = lists
            .as_any()
            .downcast_ref::<datafusion::arrow::array::ListArray>()
            .unwrap();
        assert_eq!(lists.value(0).len(), 2);
        assert_eq!(lists.value(1).len(), 2);
        assert!(lists.is_null(2));
    }
}
