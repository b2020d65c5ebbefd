//! mediasql's SQL functions. One function per file, named after it; each file holds the
//! function's `ScalarUDFImpl`, its documentation, its signature and its unit tests.
//!
//! Areas: [`io`] (fetching bytes), [`bytes`] (byte-level helpers), [`image`] (the image
//! representation, decoding and transforms), [`vision`] (image models), [`text`] (chunking,
//! text embeddings), [`pdf`] (PDF text), [`audio`] (decoding, speech to text), [`video`] (decoding frames), [`vector`] (distances), [`models`] (registry, ONNX
//! Runtime, the model-function seam), [`model_udf`] (how model functions are registered).

pub mod audio;
pub mod bytes;
pub mod error;
pub mod image;
pub mod io;
pub mod model_udf;
pub mod models;
pub mod on_error;
pub mod pdf;
pub mod reference;
pub mod sourced;
pub mod structs;
pub mod text;
pub mod vector;
pub mod video;
pub mod vision;

static CORES: OnceLock<usize> = OnceLock::new();

/// The cores this process may use: the machine's, or what [`limit_cores`] set (a cluster
/// executor given `--threads`). Models' threads, decoders' threads and the pools follow it.
pub fn cores() -> usize {
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Limits the cores this process uses to `n` (at least 1); only before anything asked
/// [`cores`]. Returns false when it was too late.
pub fn limit_cores(n: usize) -> bool {
    CORES.set(n.max(1)).is_ok()
}

use std::sync::{Arc, OnceLock};

use bytes::function::BytesFunction;
use datafusion::logical_expr::ScalarUDF;
use datafusion::logical_expr::async_udf::AsyncScalarUDF;
use image::function::ImageFunction;
use model_udf::ModelUdf;

/// Every scalar function of this crate, ready to register on a `SessionContext`.
pub fn all_functions(
    stores: Arc<io::StoreRegistry>,
    models: Arc<models::ModelRegistry>,
) -> Vec<ScalarUDF> {
    vec![
        AsyncScalarUDF::new(Arc::new(io::download::Download::new(stores))).into_scalar_udf(),
        ScalarUDF::new_from_impl(bytes::octet_length::OctetLength::default()),
        ScalarUDF::new_from_impl(image::decode_image::DecodeImage::default()),
        ImageFunction::<image::resize::Resize>::udf(),
        ImageFunction::<image::crop::Crop>::udf(),
        ImageFunction::<image::thumbnail::Thumbnail>::udf(),
        ImageFunction::<image::encode_image::EncodeImage>::udf(),
        ImageFunction::<image::image_hash::ImageHash>::udf(),
        image::image_width::image_width(),
        image::image_height::image_height(),
        ModelUdf::udf(vision::classify::Classify::new(Arc::clone(&models))),
        ModelUdf::udf(vision::embed_image::EmbedImage::new(Arc::clone(&models))),
        ModelUdf::udf(vision::detect_objects::DetectObjects::new(Arc::clone(
            &models,
        ))),
        ModelUdf::udf(text::embed_text::EmbedText::new(Arc::clone(&models))),
        ScalarUDF::new_from_impl(audio::decode_audio::DecodeAudio::default()),
        BytesFunction::<audio::audio_duration::AudioDuration>::udf(),
        ModelUdf::udf(audio::transcribe::Transcribe::new(Arc::clone(&models))),
        ModelUdf::udf(audio::transcribe_segments::TranscribeSegments::new(models)),
        ScalarUDF::new_from_impl(text::chunk_text::ChunkText::default()),
        BytesFunction::<pdf::pdf_text::PdfText>::udf(),
        BytesFunction::<pdf::pdf_page_texts::PdfPageTexts>::udf(),
        ScalarUDF::new_from_impl(video::video_frame_at::VideoFrameAt::default()),
    ]
    .into_iter()
    .chain(vector::functions())
    .collect()
}
