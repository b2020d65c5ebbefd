//! The shape every image → value function shares (`resize`, `crop`, `thumbnail`,
//! `encode_image`, `image_hash`): an image argument (struct, or bytes decoded here), typed
//! parameters that may be constants or columns, and a trailing optional `on_error`.
//!
//! Each function is an [`ImageOp`] in its own file; [`ImageFunction`] makes it a UDF.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BinaryArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use image::DynamicImage;

use super::{coerce_image_arg, image_at};
use crate::error::row_error;
use crate::on_error::OnError;

/// One image function: what it takes, what it gives, and its per-row work.
pub trait ImageOp: Debug + Default + PartialEq + Eq + Hash + Send + Sync + 'static {
    /// A row's result.
    type Out;
    /// The SQL name.
    const NAME: &'static str;
    /// The parameters after `image`: name and the type they are coerced to.
    fn parameters() -> Vec<(&'static str, DataType)>;
    fn return_type() -> DataType;
    /// The result for one image; `args` are this row's parameters, none NULL. An `Err` is
    /// the row's error message (prefixed with the function and row by the caller).
    fn apply(&self, image: DynamicImage, args: &[ScalarValue]) -> Result<Self::Out, String>;
    /// The rows' results as an array of [`Self::return_type`] (None = NULL).
    fn finish(rows: Vec<Option<Self::Out>>) -> Result<ArrayRef>;
    fn documentation() -> &'static Documentation;
}

/// An [`ImageOp`] as a scalar UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ImageFunction<T: ImageOp> {
    op: T,
    signature: Signature,
}

impl<T: ImageOp> Default for ImageFunction<T> {
    fn default() -> Self {
        let mut names = vec!["image".to_string()];
        names.extend(T::parameters().iter().map(|(n, _)| n.to_string()));
        names.push("on_error".to_string());
        let signature = Signature::user_defined(Volatility::Immutable)
            .with_parameter_names(names)
            .unwrap_or_else(|_| Signature::user_defined(Volatility::Immutable));
        Self {
            op: T::default(),
            signature,
        }
    }
}

impl<T: ImageOp> ImageFunction<T> {
    /// The function ready to register.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(Self::default())
    }

    fn usage() -> String {
        let params: Vec<&str> = T::parameters().iter().map(|(n, _)| *n).collect();
        let mut usage = format!("{}(image", T::NAME);
        for p in params {
            usage.push_str(", ");
            usage.push_str(p);
        }
        usage + " [, on_error])"
    }
}

impl<T: ImageOp> ScalarUDFImpl for ImageFunction<T> {
    fn name(&self) -> &str {
        T::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let params = T::parameters();
        let (Some(image), n) = (arg_types.first(), arg_types.len()) else {
            return plan_err!("{} expects {}", T::NAME, Self::usage());
        };
        if n != params.len() + 1 && n != params.len() + 2 {
            return plan_err!("{} expects {}, got {n} arguments", T::NAME, Self::usage());
        }
        let mut coerced = vec![coerce_image_arg(T::NAME, image)?];
        coerced.extend(params.into_iter().map(|(_, t)| t));
        if n == coerced.len() + 1 {
            coerced.push(DataType::Utf8);
        }
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(T::return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n_params = T::parameters().len();
        let on_error = OnError::from_arg(T::NAME, args.args.get(n_params + 1))?;
        let rows = args.number_rows;
        let Some(images) = args.args.first() else {
            return plan_err!("{} expects {}", T::NAME, Self::usage());
        };
        let images = binary_or_struct(images.to_array(rows)?)?;
        let params = args.args.get(1..=n_params).unwrap_or_default();
        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            let result = self.row(images.as_ref(), params, row);
            match (result, on_error) {
                (Ok(value), _) => out.push(value),
                (Err(_), OnError::Null) => out.push(None),
                (Err(e), OnError::Raise) => return Err(row_error(T::NAME, row, e)),
            }
        }
        Ok(ColumnarValue::Array(T::finish(out)?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(T::documentation())
    }
}

impl<T: ImageOp> ImageFunction<T> {
    /// One row: NULL when the image or any parameter is NULL.
    fn row(
        &self,
        images: &dyn Array,
        params: &[ColumnarValue],
        row: usize,
    ) -> Result<Option<T::Out>, String> {
        let mut values = Vec::with_capacity(params.len());
        for param in params {
            let value = match param {
                ColumnarValue::Scalar(s) => s.clone(),
                ColumnarValue::Array(a) => {
                    ScalarValue::try_from_array(a, row).map_err(|e| e.to_string())?
                }
            };
            if value.is_null() {
                return Ok(None);
            }
            values.push(value);
        }
        match image_at(images, row)? {
            Some(image) => self.op.apply(image, &values).map(Some),
            None => Ok(None),
        }
    }
}

/// Image structs as they are; any binary as `Binary`.
fn binary_or_struct(array: ArrayRef) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::LargeBinary | DataType::BinaryView => Ok(cast(&array, &DataType::Binary)?),
        _ => Ok(array),
    }
}

/// A parameter as a positive pixel count; `name` names it in errors.
pub fn pixels(args: &[ScalarValue], index: usize, name: &str) -> Result<u32, String> {
    match args.get(index) {
        Some(ScalarValue::Int64(Some(v))) if *v > 0 && *v <= i64::from(u32::MAX) => Ok(*v as u32),
        Some(ScalarValue::Int64(Some(v))) => Err(format!("{name} must be positive, got {v}")),
        other => Err(format!("{name} must be an integer, got {other:?}")),
    }
}

/// A parameter as a pixel offset (zero allowed).
pub fn offset(args: &[ScalarValue], index: usize, name: &str) -> Result<u32, String> {
    match args.get(index) {
        Some(ScalarValue::Int64(Some(v))) if *v >= 0 && *v <= i64::from(u32::MAX) => Ok(*v as u32),
        Some(ScalarValue::Int64(Some(v))) => Err(format!("{name} must be >= 0, got {v}")),
        other => Err(format!("{name} must be an integer, got {other:?}")),
    }
}

/// Results that are images.
pub fn images_array(rows: Vec<Option<DynamicImage>>) -> Result<ArrayRef> {
    super::to_array(&rows)
}

/// Results that are bytes.
pub fn binary_array(rows: Vec<Option<Vec<u8>>>) -> Result<ArrayRef> {
    Ok(Arc::new(BinaryArray::from_iter(rows)))
}

/// Results that are strings.
pub fn string_array(rows: Vec<Option<String>>) -> Result<ArrayRef> {
    Ok(Arc::new(StringArray::from_iter(rows)))
}
