//! Vector distances over float lists (`List`, `LargeList`, `FixedSizeList` of floats or
//! integers), e.g. embeddings: one function per file, sharing [`VectorFunction`].

pub mod cosine_distance;
pub mod cosine_similarity;
pub mod inner_product;
pub mod l2_distance;

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, Float32Array, Float64Array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// A function of two vectors to a number; None gives NULL (e.g. a zero vector's cosine).
type Kernel = fn(&[f64], &[f64]) -> Option<f64>;

/// A scalar UDF `name(a, b) -> float8` computing `kernel` row by row.
#[derive(Debug)]
pub struct VectorFunction {
    name: &'static str,
    kernel: Kernel,
    signature: Signature,
    documentation: &'static Documentation,
}

impl PartialEq for VectorFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for VectorFunction {}
impl std::hash::Hash for VectorFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl VectorFunction {
    fn udf(name: &'static str, kernel: Kernel, documentation: &'static Documentation) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name,
            kernel,
            signature: Signature::user_defined(Volatility::Immutable),
            documentation,
        })
    }
}

fn is_vector(dt: &DataType) -> bool {
    match dt {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            f.data_type().is_numeric()
        }
        _ => false,
    }
}

fn as_f64_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

impl ScalarUDFImpl for VectorFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [a, b] if is_vector(a) && is_vector(b) => Ok(arg_types.to_vec()),
            [a, b] => plan_err!(
                "{} expects two numeric vectors (lists of floats), got {a} and {b}",
                self.name
            ),
            _ => plan_err!("{} expects two vectors", self.name),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [a, b] = args.args.as_slice() else {
            return plan_err!("{} expects two vectors", self.name);
        };
        let n = args.number_rows;
        let a = cast(&a.to_array(n)?, &as_f64_list())?;
        let b = cast(&b.to_array(n)?, &as_f64_list())?;
        let (a, b) = (a.as_list::<i32>(), b.as_list::<i32>());
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            if a.is_null(row) || b.is_null(row) {
                out.push(None);
                continue;
            }
            let (x, y) = (a.value(row), b.value(row));
            let (x, y) = (
                x.as_primitive::<Float64Type>(),
                y.as_primitive::<Float64Type>(),
            );
            if x.len() != y.len() {
                let lengths = format!("vectors of different lengths ({} and {})", x.len(), y.len());
                return Err(crate::error::row_error(self.name, row, lengths));
            }
            if x.null_count() > 0 || y.null_count() > 0 {
                out.push(None);
                continue;
            }
            out.push((self.kernel)(x.values(), y.values()));
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(self.documentation)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Cosine similarity; None when a vector is zero.
fn cosine(a: &[f64], b: &[f64]) -> Option<f64> {
    let denominator = norm(a) * norm(b);
    (denominator > 0.0).then(|| dot(a, b) / denominator)
}

/// The documentation section of vector functions.
pub const DOC_SECTION_VECTOR: datafusion::logical_expr::DocSection =
    datafusion::logical_expr::DocSection {
        include: true,
        label: "Vector functions",
        description: Some("Similarity and distance between embeddings."),
    };

/// The type of embeddings of width `dim`: `FixedSizeList<Float32, dim>`.
pub fn embedding_type(dim: i32) -> DataType {
    DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, true)), dim)
}

/// Embeddings (None = NULL) of width `dim` as [`embedding_type`]; `function` names errors.
pub fn embeddings_array(function: &str, rows: Vec<Option<Vec<f32>>>, dim: i32) -> Result<ArrayRef> {
    let width = usize::try_from(dim).unwrap_or_default();
    if let Some(bad) = rows.iter().flatten().find(|r| r.len() != width) {
        return exec_err!(
            "{function}: the model gave {} values, expected {dim}",
            bad.len()
        );
    }
    let valid: Vec<bool> = rows.iter().map(Option::is_some).collect();
    let values: Vec<f32> = rows
        .into_iter()
        .flat_map(|r| r.unwrap_or_else(|| vec![0.0; width]))
        .collect();
    let field = Arc::new(Field::new("item", DataType::Float32, true));
    Ok(Arc::new(FixedSizeListArray::try_new(
        field,
        dim,
        Arc::new(Float32Array::from(values)),
        Some(NullBuffer::from(valid)),
    )?))
}

/// Every vector function.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        cosine_similarity::udf(),
        cosine_distance::udf(),
        l2_distance::udf(),
        inner_product::udf(),
    ]
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, Float64Array, ListArray};
    use datafusion::arrow::datatypes::{DataType, Field, Float32Type};
    use datafusion::common::config::ConfigOptions;
    use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};

    /// Runs `udf` on float32 vectors given row by row.
    pub fn run(udf: &ScalarUDF, a: Vec<Vec<f32>>, b: Vec<Vec<f32>>) -> Vec<Option<f64>> {
        let list = |rows: Vec<Vec<f32>>| {
            ListArray::from_iter_primitive::<Float32Type, _, _>(
                rows.into_iter()
                    .map(|r| Some(r.into_iter().map(Some).collect::<Vec<_>>())),
            )
        };
        let (a, b) = (list(a), list(b));
        let n = a.len();
        let field = Arc::new(Field::new("v", a.data_type().clone(), true));
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(a)),
                ColumnarValue::Array(Arc::new(b)),
            ],
            arg_fields: vec![Arc::clone(&field), field],
            number_rows: n,
            return_field: Arc::new(Field::new("r", DataType::Float64, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = udf.invoke_with_args(args).unwrap() else {
            panic!("expected an array")
        };
        let out = out.as_any().downcast_ref::<Float64Array>().unwrap();
        (0..n)
            .map(|i| out.is_valid(i).then(|| out.value(i)))
            .collect()
    }
}
