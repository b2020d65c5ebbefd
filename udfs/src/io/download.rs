//! `download(url [, on_error])`: the bytes behind a URL held in a column (Daft's
//! `url.download()`). Accepts `http(s)://`, `s3://`, `file://` URLs and plain local paths.
//!
//! An async UDF: DataFusion runs it in `AsyncFuncExec`, so fetches never block a CPU thread.
//! Up to [`MAX_IN_FLIGHT`] requests of one batch run at once; rows keep their order.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, BinaryBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::DocSection;
use datafusion::logical_expr::async_udf::AsyncScalarUDFImpl;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use futures::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;

use super::store::StoreRegistry;
use crate::error::find_sql_error;
use crate::error::row_error;
use crate::on_error::OnError;

/// How many fetches of one batch may be in flight at once.
pub const MAX_IN_FLIGHT: usize = 16;

const NAME: &str = "download";

/// The `download` function; holds the engine's store registry.
#[derive(Debug)]
pub struct Download {
    signature: Signature,
    stores: Arc<StoreRegistry>,
}

impl Download {
    /// `download` fetching through `stores`.
    pub fn new(stores: Arc<StoreRegistry>) -> Self {
        let strings = [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View];
        let mut variants: Vec<TypeSignature> = strings
            .iter()
            .map(|t| TypeSignature::Exact(vec![t.clone()]))
            .collect();
        variants.extend(
            strings
                .iter()
                .map(|t| TypeSignature::Exact(vec![t.clone(), DataType::Utf8])),
        );
        let signature = Signature::one_of(variants, Volatility::Volatile)
            .with_parameter_names(vec!["url", "on_error"])
            .unwrap_or_else(|_| Signature::one_of(vec![], Volatility::Volatile));
        Self { signature, stores }
    }

    /// The bytes at `url`, or the row's error. A refused location fails the statement
    /// whatever `on_error` says: NULL would hide that the server said no.
    async fn fetch(&self, url: &str) -> Result<std::result::Result<bytes::Bytes, String>> {
        let target = match self.stores.resolve(url, &HashMap::new()) {
            Ok(target) => target,
            Err(e) if find_sql_error(&e).is_some() => return Err(e),
            Err(e) => return Ok(Err(e.to_string())),
        };
        let bytes = match target.store.get(&target.path).await {
            Ok(result) => result.bytes().await,
            Err(e) => Err(e),
        };
        Ok(bytes.map_err(|e| e.to_string()))
    }
}

impl PartialEq for Download {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.stores, &other.stores)
    }
}
impl Eq for Download {}
impl Hash for Download {
    fn hash<H: Hasher>(&self, state: &mut H) {
        NAME.hash(state);
    }
}

impl ScalarUDFImpl for Download {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("{NAME} can only be called from an async context")
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

#[async_trait]
impl AsyncScalarUDFImpl for Download {
    async fn invoke_async_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(NAME, args.args.get(1))?;
        let Some(urls) = args.args.first() else {
            return plan_err!("{NAME} expects a URL argument");
        };
        let urls = urls.to_array(args.number_rows)?;
        let urls = cast(&urls, &DataType::Utf8)?;
        let urls = datafusion::common::cast::as_string_array(&urls)?;
        let fetched: Vec<Option<bytes::Bytes>> = stream::iter(0..urls.len())
            .map(|row| async move {
                if urls.is_null(row) {
                    return Ok(None);
                }
                let url = urls.value(row);
                match (self.fetch(url).await?, on_error) {
                    (Ok(bytes), _) => Ok(Some(bytes)),
                    (Err(_), OnError::Null) => Ok(None),
                    (Err(e), OnError::Raise) => Err(row_error(NAME, row, format!("'{url}': {e}"))),
                }
            })
            .buffered(MAX_IN_FLIGHT)
            .try_collect()
            .await?;
        let capacity = fetched.iter().flatten().map(|b| b.len()).sum();
        let mut builder = BinaryBuilder::with_capacity(fetched.len(), capacity);
        for bytes in &fetched {
            builder.append_option(bytes.as_deref());
        }
        let array: ArrayRef = Arc::new(builder.finish());
        Ok(ColumnarValue::Array(array))
    }
}

/// `download`'s documentation (DataFusion's async wrapper does not pass it on).
pub fn documentation() -> &'static Documentation {
    &DOCUMENTATION
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Fetches the bytes at each URL (http://, https://, s3://, file:// or a local path). \
         Fetches run concurrently, bounded per batch; a failed fetch fails the query naming \
         the row and URL, or gives NULL with on_error => 'null'.",
        "download(url [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT url, length(download(url)) FROM links")
    .with_argument("url", "A string column of URLs or paths.")
    .with_argument("on_error", "'raise' (default) or 'null'.")
    .build()
});

/// The documentation section of media I/O functions.
pub const DOC_SECTION_MEDIA: DocSection = DocSection {
    include: true,
    label: "Media functions",
    description: Some("Functions reading, decoding and analysing media."),
};

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BinaryArray, StringArray};
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use datafusion::common::config::ConfigOptions;

    fn args(urls: Vec<Option<&str>>, on_error: Option<&str>) -> ScalarFunctionArgs {
        let n = urls.len();
        let mut args = vec![ColumnarValue::Array(Arc::new(StringArray::from(urls)))];
        if let Some(policy) = on_error {
            args.push(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                policy.into(),
            ))));
        }
        ScalarFunctionArgs {
            arg_fields: args
                .iter()
                .map(|_| Arc::new(Field::new("a", DataType::Utf8, true)))
                .collect(),
            args,
            number_rows: n,
            return_field: Arc::new(Field::new("r", DataType::Binary, true)),
            config_options: Arc::new(ConfigOptions::default()),
        }
    }

    #[tokio::test]
    async fn reads_local_files_and_reports_missing_ones() {
        let dir = std::env::temp_dir().join(format!("mediasql-download-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.bin");
        std::fs::write(&file, b"hello").unwrap();
        let missing = dir.join("missing.bin");
        let udf = Download::new(Arc::new(StoreRegistry::default()));

        let urls = vec![
            Some(file.to_str().unwrap()),
            None,
            Some(missing.to_str().unwrap()),
        ];
        let out = udf
            .invoke_async_with_args(args(urls.clone(), Some("null")))
            .await
            .unwrap();
        let ColumnarValue::Array(out) = out else {
            panic!("expected an array")
        };
        let out = out.as_any().downcast_ref::<BinaryArray>().unwrap();
        assert_eq!(out.value(0), b"hello");
        assert!(out.is_null(1) && out.is_null(2));

        let err = udf
            .invoke_async_with_args(args(urls, None))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("download: row 2"), "{err}");
    }
}
