//! The seam between model functions and whatever drives them: a model over rows in
//! mini-batches, split into the CPU work done ahead of the model (`prepare`: decode,
//! preprocess, tokenize) and the model call itself (`run`).
//!
//! [`run_pipelined`] drives a [`BatchModel`] inside one scalar-function call, preparing
//! mini-batch k+1 on a second thread while the model runs mini-batch k. The streaming
//! inference operator (a later issue) drives the same trait across DataFusion batches.

use datafusion::common::{DataFusionError, Result};

/// A model over the rows of one column, in mini-batches.
pub trait BatchModel: Sync {
    /// One prepared mini-batch (a tensor, or texts in model order).
    type Input: Send;
    /// What one model call gives for its mini-batch.
    type Output;
    /// Rows per model call.
    fn batch_size(&self) -> usize;
    /// Prepares the rows `rows` (indices into the column) for one model call.
    fn prepare(&self, rows: &[usize]) -> Result<Self::Input>;
    /// Runs the model on one prepared mini-batch.
    fn run(&self, input: Self::Input) -> Result<Self::Output>;
}

/// Runs `model` over `rows` (in the order given) in mini-batches of its batch size; returns
/// each mini-batch's rows with its output. While the model runs one mini-batch, the next
/// is prepared on a second thread: decoding overlaps inference. The first error stops it.
pub fn run_pipelined<'r, M: BatchModel>(
    model: &M,
    rows: &'r [usize],
) -> Result<Vec<(&'r [usize], M::Output)>> {
    let chunks: Vec<&[usize]> = rows.chunks(model.batch_size().max(1)).collect();
    let mut outputs = Vec::with_capacity(chunks.len());
    std::thread::scope(|scope| {
        let mut next = chunks.first().map(|c| scope.spawn(|| model.prepare(c)));
        for (i, chunk) in chunks.iter().enumerate() {
            let Some(preparing) = next.take() else {
                break;
            };
            let input = preparing.join().map_err(|_| {
                DataFusionError::Internal("preparing a model batch panicked".into())
            })??;
            next = chunks.get(i + 1).map(|c| scope.spawn(|| model.prepare(c)));
            outputs.push((*chunk, model.run(input)?));
        }
        Ok(outputs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::exec_err;

    /// Squares rows; refuses row 13.
    struct Squares;

    impl BatchModel for Squares {
        type Input = Vec<usize>;
        type Output = Vec<usize>;
        fn batch_size(&self) -> usize {
            4
        }
        fn prepare(&self, rows: &[usize]) -> Result<Vec<usize>> {
            if rows.contains(&13) {
                return exec_err!("row 13");
            }
            Ok(rows.to_vec())
        }
        fn run(&self, input: Vec<usize>) -> Result<Vec<usize>> {
            Ok(input.iter().map(|r| r * r).collect())
        }
    }

    #[test]
    fn outputs_come_in_order_and_errors_stop_it() {
        let rows: Vec<usize> = (0..10).rev().collect();
        let out = run_pipelined(&Squares, &rows).unwrap();
        let flat: Vec<usize> = out.iter().flat_map(|(_, o)| o.clone()).collect();
        assert_eq!(flat, rows.iter().map(|r| r * r).collect::<Vec<_>>());
        assert_eq!(out.len(), 3);
        let rows: Vec<usize> = (0..20).collect();
        let err = run_pipelined(&Squares, &rows).unwrap_err();
        assert!(err.to_string().contains("row 13"), "{err}");
    }
}
