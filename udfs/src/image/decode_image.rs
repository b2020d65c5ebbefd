//! `decode_image(bytes [, on_error])`: encoded image bytes → the image struct
//! (width, height, channels, data). See [`super`] for the representation.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use super::decode::{DEFAULT_MAX_PIXELS, decode};
use crate::error::row_error;
use crate::io::download::DOC_SECTION_MEDIA;
use crate::on_error::OnError;

const NAME: &str = "decode_image";

/// The `decode_image` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DecodeImage {
    signature: Signature,
    max_pixels: u64,
}

impl Default for DecodeImage {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PIXELS)
    }
}

impl DecodeImage {
    /// `decode_image` refusing images over `max_pixels`.
    pub fn new(max_pixels: u64) -> Self {
        let binaries = [
            DataType::Binary,
            DataType::LargeBinary,
            DataType::BinaryView,
        ];
        let mut variants: Vec<TypeSignature> = binaries
            .iter()
            .map(|t| TypeSignature::Exact(vec![t.clone()]))
            .collect();
        variants.extend(
            binaries
                .iter()
                .map(|t| TypeSignature::Exact(vec![t.clone(), DataType::Utf8])),
        );
        let signature = Signature::one_of(variants, Volatility::Immutable)
            .with_parameter_names(vec!["bytes", "on_error"])
            .unwrap_or_else(|_| Signature::one_of(vec![], Volatility::Immutable));
        Self {
            signature,
            max_pixels,
        }
    }
}

impl ScalarUDFImpl for DecodeImage {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(super::image_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let on_error = OnError::from_arg(NAME, args.args.get(1))?;
        let Some(bytes) = args.args.first() else {
            return plan_err!("{NAME} expects image bytes");
        };
        let bytes = cast(&bytes.to_array(args.number_rows)?, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        let images = (0..bytes.len())
            .map(|row| {
                if bytes.is_null(row) {
                    return Ok(None);
                }
                match (decode(bytes.value(row), self.max_pixels), on_error) {
                    (Ok(image), _) => Ok(Some(image)),
                    (Err(_), OnError::Null) => Ok(None),
                    (Err(e), OnError::Raise) => Err(row_error(NAME, row, e)),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array(super::to_array(&images)?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_MEDIA,
        "Decodes image bytes (JPEG, PNG, GIF, WebP, BMP, TIFF) to an image struct with width, \
         height, channels and 8-bit pixel data. Images over 100 megapixels are refused from \
         their header, before any pixel is allocated.",
        "decode_image(bytes [, on_error => 'raise' | 'null'])",
    )
    .with_sql_example("SELECT decode_image(content).width FROM read_media('photos/')")
    .with_argument(
        "bytes",
        "Encoded image bytes, e.g. a media table's content.",
    )
    .with_argument(
        "on_error",
        "'raise' (default) or 'null' for undecodable rows.",
    )
    .build()
});
