//! `l2_distance(a, b)`: Euclidean (L2) distance between two vectors.

use std::sync::LazyLock;

use datafusion::logical_expr::{Documentation, ScalarUDF};

use super::{DOC_SECTION_VECTOR, VectorFunction};

/// The `l2_distance` function.
pub fn udf() -> ScalarUDF {
    VectorFunction::udf("l2_distance", kernel, &DOCUMENTATION)
}

fn kernel(a: &[f64], b: &[f64]) -> Option<f64> {
    Some(
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt(),
    )
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_VECTOR,
        "Euclidean (L2) distance between two vectors.",
        "l2_distance(a, b)",
    )
    .with_sql_example("SELECT l2_distance([0.0, 0.0], [3.0, 4.0])")
    .with_argument("a", "A list of numbers (e.g. an embedding).")
    .with_argument("b", "A list of numbers of the same length.")
    .build()
});

#[cfg(test)]
mod tests {
    use super::super::test_support::run;

    #[test]
    fn computes_row_by_row() {
        let out = run(&super::udf(), vec![vec![0.0, 0.0]], vec![vec![3.0, 4.0]]);
        assert_eq!(out, vec![Some(5.0)]);
    }
}
