//! The forward pass of an object detector ([`DetectPass`]): rows → letterboxed NCHW tensor
//! (prepare) → the raw anchor grid (run); and the post-processing every head applies to it
//! ([`decode`]): boxes back in image pixels, scores, per-class non-maximum suppression.
//!
//! The layout is YOLOX's (see [`DetectorSpec`]): one row per anchor over grids of strides 8,
//! 16 and 32, `[x, y, log w, log h, objectness, class probabilities...]` in grid units.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::Result;

use super::preprocess::{Letterbox, letterbox_into};
use super::run::{ImageOutput, image_column};
use crate::image::image_at;
use crate::models::{
    DetectorSpec, Device, LoadedDetector, ModelPass, ModelRegistry, PassOutput, Prepared, Stop,
    output_as, prepared_as,
};

/// The version of this pass's pre/post-processing: bumped when it changes what the pass
/// gives, so that results cached before are not read again.
const DETECT_PASS_VERSION: u32 = 1;

/// An object detector's forward pass over one column of images (structs or encoded bytes).
#[derive(Debug)]
pub struct DetectPass {
    models: Arc<ModelRegistry>,
    model: String,
    spec: DetectorSpec,
}

/// A prepared mini-batch: the tensor of the rows that decoded, how each was letterboxed, and
/// the errors of the rows that did not decode.
struct DetectInput {
    rows: usize,
    first_row: usize,
    valid: Vec<usize>,
    letterboxes: Vec<Letterbox>,
    errors: Vec<(usize, String)>,
    tensor: Vec<f32>,
}

/// One run's raw output per row, with how each row was letterboxed.
#[derive(Debug)]
pub struct DetectOutput {
    pub images: ImageOutput,
    /// Per row (None for rows that are NULL or did not decode).
    letterboxes: Vec<Option<Letterbox>>,
}

/// One object found in an image: its class, score and box (top-left corner and size, in the
/// image's pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub class: usize,
    pub score: f32,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl DetectPass {
    /// The pass of object detector `model`.
    pub fn new(models: Arc<ModelRegistry>, model: &str) -> Result<Self> {
        let (_, spec) = models.detector_spec(model)?;
        Ok(Self {
            models,
            model: model.to_string(),
            spec,
        })
    }
}

impl ModelPass for DetectPass {
    fn model(&self) -> &str {
        &self.model
    }

    fn key(&self) -> String {
        format!("detect:{}", self.model)
    }

    fn fingerprint(&self) -> Option<String> {
        let entry = self.models.entry(&self.model).ok()?;
        Some(format!(
            "{}|v{DETECT_PASS_VERSION}|{}",
            self.key(),
            entry.fingerprint()
        ))
    }

    fn batch_size(&self) -> usize {
        self.spec.batch_size * self.device().batch_scale()
    }

    fn device(&self) -> Device {
        self.models.device()
    }

    fn prepare(&self, input: &ArrayRef, first_row: usize) -> Result<Prepared> {
        let images = image_column(input)?;
        let spec = &self.spec;
        let mut prepared = DetectInput {
            rows: images.len(),
            first_row,
            valid: Vec::new(),
            letterboxes: Vec::new(),
            errors: Vec::new(),
            tensor: Vec::new(),
        };
        for row in (0..images.len()).filter(|&r| images.is_valid(r)) {
            match image_at(images.as_ref(), row) {
                Ok(Some(image)) => {
                    let letterbox = letterbox_into(
                        &image,
                        spec.input_size,
                        &spec.channel_order,
                        spec.pad_value,
                        &mut prepared.tensor,
                    );
                    prepared.valid.push(row);
                    prepared.letterboxes.push(letterbox);
                }
                Ok(None) => {}
                Err(e) => prepared.errors.push((row, e)),
            }
        }
        Ok(Box::new(prepared))
    }

    fn run(&self, prepared: Prepared, _stop: &Stop) -> Result<PassOutput> {
        let input = *prepared_as::<DetectInput>(prepared, &self.model)?;
        let mut letterboxes = vec![None; input.rows];
        for (&row, letterbox) in input.valid.iter().zip(&input.letterboxes) {
            letterboxes[row] = Some(*letterbox);
        }
        let outputs = if input.valid.is_empty() {
            Vec::new()
        } else {
            let model = self.models.detector(&self.model)?;
            let side = i64::from(self.spec.input_size);
            let shape = vec![input.valid.len() as i64, 3, side, side];
            let output = self.spec.output.as_str();
            let values = model
                .session
                .run_f32(&self.spec.input, shape, input.tensor, &[output])?;
            values
                .into_iter()
                .map(|(_, values)| (output.to_string(), values))
                .collect()
        };
        let images = ImageOutput::new(
            input.rows,
            input.first_row,
            input.valid,
            input.errors,
            outputs,
        );
        Ok(Arc::new(DetectOutput {
            images,
            letterboxes,
        }))
    }

    fn load(&self) -> Result<()> {
        self.models.detector(&self.model).map(|_| ())
    }

    fn prepared_bytes(&self, rows: usize) -> usize {
        let side = self.spec.input_size as usize;
        rows * 3 * side * side * size_of::<f32>()
    }
}

/// The detection output of a pass, for a head.
pub fn detect_output<'a>(output: &'a PassOutput, function: &str) -> Result<&'a DetectOutput> {
    output_as::<DetectOutput>(output, function)
}

/// Anchors in the output for `spec`: one per cell of each stride's grid.
fn anchors(spec: &DetectorSpec) -> usize {
    spec.strides
        .iter()
        .map(|&s| (spec.input_size / s.max(1)) as usize)
        .map(|n| n * n)
        .sum()
}

impl DetectOutput {
    /// Per row, the detections scoring at least `min_score` (None for NULL rows).
    pub fn detections(
        &self,
        function: &str,
        detector: &LoadedDetector,
        min_score: f32,
    ) -> Result<Vec<Option<Vec<Detection>>>> {
        let spec = &detector.spec;
        let classes = detector.labels.len();
        let width = anchors(spec) * (5 + classes);
        let raw = self
            .images
            .column(function, &detector.entry.name, &spec.output, width)?;
        Ok(raw
            .iter()
            .zip(&self.letterboxes)
            .map(|(raw, letterbox)| match (raw, letterbox) {
                (Some(raw), Some(letterbox)) => {
                    Some(decode(raw, spec, classes, *letterbox, min_score))
                }
                _ => None,
            })
            .collect())
    }
}

/// The detections of one image's raw output, best first: boxes decoded from the anchor grids,
/// scaled back to the image and clipped to it, scored objectness x class probability, kept
/// from `min_score`, then per-class non-maximum suppression.
pub fn decode(
    raw: &[f32],
    spec: &DetectorSpec,
    classes: usize,
    letterbox: Letterbox,
    min_score: f32,
) -> Vec<Detection> {
    let columns = 5 + classes;
    let mut candidates = Vec::new();
    let mut anchor_rows = raw.chunks_exact(columns);
    for &stride in &spec.strides {
        let cells = spec.input_size / stride.max(1);
        let stride = stride as f32;
        for gy in 0..cells {
            for gx in 0..cells {
                let Some(row) = anchor_rows.next() else {
                    return suppress(candidates, spec.nms_iou);
                };
                let objectness = row[4];
                // Scores are objectness x a probability: none reaches min_score if this does not.
                if objectness < min_score {
                    continue;
                }
                let cx = (row[0] + gx as f32) * stride;
                let cy = (row[1] + gy as f32) * stride;
                let w = row[2].exp() * stride;
                let h = row[3].exp() * stride;
                for (class, p) in row[5..].iter().enumerate() {
                    let score = objectness * p;
                    if score >= min_score {
                        let corners = [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0];
                        candidates.push(in_image(class, score, corners, letterbox));
                    }
                }
            }
        }
    }
    suppress(candidates, spec.nms_iou)
}

/// A box given by its corners in model pixels, in image pixels and clipped to the image.
fn in_image(class: usize, score: f32, corners: [f32; 4], letterbox: Letterbox) -> Detection {
    let scale = letterbox.scale.max(f32::MIN_POSITIVE);
    let (width, height) = (letterbox.width as f32, letterbox.height as f32);
    let x0 = (corners[0] / scale).clamp(0.0, width);
    let y0 = (corners[1] / scale).clamp(0.0, height);
    let x1 = (corners[2] / scale).clamp(0.0, width);
    let y1 = (corners[3] / scale).clamp(0.0, height);
    Detection {
        class,
        score,
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

/// Per-class non-maximum suppression: best first, a box is dropped when it overlaps a kept box
/// of its class by more than `iou`.
fn suppress(mut candidates: Vec<Detection>, iou: f32) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in candidates {
        let overlapped = kept
            .iter()
            .any(|k| k.class == candidate.class && overlap(k, &candidate) > iou);
        if !overlapped {
            kept.push(candidate);
        }
    }
    kept
}

/// Intersection over union of two boxes.
fn overlap(a: &Detection, b: &Detection) -> f32 {
    let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
    let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
    if w <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    let intersection = w * h;
    intersection / (a.w * a.h + b.w * b.h - intersection)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DetectorSpec {
        DetectorSpec {
            input: "images".into(),
            output: "output".into(),
            input_size: 64,
            channel_order: "bgr".into(),
            pad_value: 114.0,
            strides: vec![32],
            nms_iou: 0.45,
            batch_size: 1,
        }
    }

    #[test]
    fn decodes_anchor_boxes_into_image_pixels() {
        // A 2x2 grid of stride 32, two classes; only anchor (gx 1, gy 0) sees class 1.
        let mut raw = vec![0.0; 4 * 7];
        let anchor = &mut raw[7..14];
        anchor.copy_from_slice(&[0.5, 0.5, 0.0, 0.0, 0.9, 0.1, 0.8]);
        // The image was 128x64, scaled by 0.5 into the 64x64 input.
        let letterbox = Letterbox {
            scale: 0.5,
            width: 128,
            height: 64,
        };
        let found = decode(&raw, &spec(), 2, letterbox, 0.3);
        assert_eq!(found.len(), 1);
        let d = found[0];
        assert_eq!(d.class, 1);
        assert!((d.score - 0.72).abs() < 1e-6);
        // Centre (48, 16), size 32x32 in model pixels → corners (64, 0), (128, 64) in the image.
        assert_eq!((d.x, d.y, d.w, d.h), (64.0, 0.0, 64.0, 64.0));
    }

    #[test]
    fn suppression_keeps_the_best_of_overlapping_boxes_per_class() {
        let d = |class, score, x| Detection {
            class,
            score,
            x,
            y: 0.0,
            w: 10.0,
            h: 10.0,
        };
        let kept = suppress(vec![d(0, 0.5, 1.0), d(0, 0.9, 0.0), d(1, 0.4, 0.0)], 0.45);
        assert_eq!(kept, vec![d(0, 0.9, 0.0), d(1, 0.4, 0.0)]);
        assert_eq!(overlap(&d(0, 1.0, 0.0), &d(0, 1.0, 20.0)), 0.0);
    }
}
