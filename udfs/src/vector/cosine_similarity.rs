//! `cosine_similarity(a, b)`: Cosine similarity of two vectors, from -1 to 1; NULL if either is all zeros.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::{DOC_SECTION_VECTOR, VectorFunction};

/// The `cosine_similarity` function.
pub fn udf() -> ScalarUDF {
    VectorFunction::udf("cosine_similarity", kernel, &DOCUMENTATION)
}

fn kernel(a: &[f64], b: &[f64]) -> Option<f64> {
    super::cosine(a, b)
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_VECTOR,
        "Cosine similarity of two vectors, from -1 to 1; NULL if either is all zeros.",
        "cosine_similarity(a, b)",
    )
    .with_sql_example("SELECT cosine_similarity(embed_text(a), embed_text(b))")
    .with_argument("a", "A list of numbers (e.g. an embedding).")
    .with_argument("b", "A list of numbers of the same length.")
    .build()
});

#[cfg(test)]
mod tests {
    use super::super::test_support::run;

    #[test]
    fn computes_row_by_row() {
        let out = run(
            &super::udf(),
            vec![vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 0.0]],
            vec![vec![0.0, 1.0], vec![2.0, 2.0], vec![1.0, 0.0]],
        );
        assert_eq!(out[0], Some(0.0));
        assert!((out[1].unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(out[2], None);
    }
}
