//! `inner_product(a, b)`: Inner (dot) product of two vectors; for L2-normalised embeddings, their cosine similarity.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::{DOC_SECTION_VECTOR, VectorFunction};

/// The `inner_product` function.
pub fn udf() -> ScalarUDF {
    VectorFunction::udf("inner_product", kernel, &DOCUMENTATION)
}

fn kernel(a: &[f64], b: &[f64]) -> Option<f64> {
    Some(super::dot(a, b))
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(DOC_SECTION_VECTOR, "Inner (dot) product of two vectors; for L2-normalised embeddings, their cosine similarity.", "inner_product(a, b)")
        .with_sql_example("SELECT inner_product([1.0, 2.0], [3.0, 4.0])")
        .with_argument("a", "A list of numbers (e.g. an embedding).")
        .with_argument("b", "A list of numbers of the same length.")
        .build()
});

#[cfg(test)]
mod tests {
    use super::super::test_support::run;

    #[test]
    fn computes_row_by_row() {
        let out = run(&super::udf(), vec![vec![1.0, 2.0]], vec![vec![3.0, 4.0]]);
        assert_eq!(out, vec![Some(11.0)]);
    }
}
