//! `cosine_distance(a, b)`: Cosine distance, 1 - cosine similarity: 0 for the same direction, up to 2.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::{DOC_SECTION_VECTOR, VectorFunction};

/// The `cosine_distance` function.
pub fn udf() -> ScalarUDF {
    VectorFunction::udf("cosine_distance", kernel, &DOCUMENTATION)
}

fn kernel(a: &[f64], b: &[f64]) -> Option<f64> {
    super::cosine(a, b).map(|s| 1.0 - s)
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(DOC_SECTION_VECTOR, "Cosine distance, 1 - cosine similarity: 0 for the same direction, up to 2.", "cosine_distance(a, b)")
        .with_sql_example("SELECT path FROM photos ORDER BY cosine_distance(embed_image(content), (SELECT embed_image(content) FROM photos WHERE path = 'cat.jpg')) LIMIT 5")
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
            vec![vec![1.0, 0.0], vec![1.0, 0.0]],
            vec![vec![3.0, 0.0], vec![-1.0, 0.0]],
        );
        assert_eq!(out, vec![Some(0.0), Some(2.0)]);
    }
}
