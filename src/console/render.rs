//! Query results as the console shows them: JSON cells, with media made visible. Image bytes
//! and image structs become JPEG thumbnails, audio bytes a playable data URL, PDF bytes their
//! first page's text, float lists an abbreviation; everything else its text.

use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::Result;
use image::DynamicImage;
use mediasql_udfs::image::decode::{DEFAULT_MAX_PIXELS, decode_for_size};
use mediasql_udfs::image::{image_at, is_image_type};
use serde_json::{Value, json};

use super::MAX_ROWS;

/// Thumbnails fit in a square of this many pixels.
const THUMBNAIL: u32 = 160;
/// Audio up to this size plays in the page; larger files show their size.
const MAX_AUDIO_BYTES: usize = 4 << 20;
/// Characters of a PDF's first page shown.
const PDF_CHARS: usize = 400;

/// A result being rendered: column names and types, rows of cells.
pub struct Table {
    columns: Vec<Value>,
    rows: Vec<Value>,
    truncated: bool,
}

impl Table {
    pub fn new(schema: &Schema) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| json!({"name": f.name(), "type": f.data_type().to_string()}))
            .collect();
        Self {
            columns,
            rows: Vec::new(),
            truncated: false,
        }
    }

    /// Adds `batch`'s rows; false once [`MAX_ROWS`] are held (the rest is not shown).
    pub fn add(&mut self, batch: &RecordBatch) -> Result<bool> {
        let cells: Vec<Vec<Value>> = batch
            .columns()
            .iter()
            .map(column_cells)
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            if self.rows.len() == MAX_ROWS {
                self.truncated = true;
                return Ok(false);
            }
            self.rows
                .push(Value::Array(cells.iter().map(|c| c[row].clone()).collect()));
        }
        Ok(true)
    }

    pub fn into_json(self) -> Value {
        json!({"columns": self.columns, "rows": self.rows, "truncated": self.truncated})
    }
}

/// Every row of `batch` as text (NULL as '').
pub fn text_rows(batch: &RecordBatch) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default();
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect()
        })
        .collect())
}

/// The cells of one column.
fn column_cells(column: &ArrayRef) -> Result<Vec<Value>> {
    match column.data_type() {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = cast(column, &DataType::Binary)?;
            let bytes = bytes.as_binary::<i32>();
            Ok((0..bytes.len())
                .map(|row| (!bytes.is_null(row)).then(|| bytes_cell(bytes.value(row))))
                .map(Option::unwrap_or_default)
                .collect())
        }
        t if is_image_type(t) => Ok((0..column.len())
            .map(|row| match image_at(column.as_ref(), row) {
                Ok(Some(image)) => image_cell(&image, (image.width(), image.height())),
                Ok(None) => Value::Null,
                Err(e) => json!({"text": e}),
            })
            .collect()),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if f.data_type().is_floating() =>
        {
            vector_cells(column)
        }
        _ => {
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            Ok((0..column.len())
                .map(|row| match column.is_null(row) {
                    true => Value::Null,
                    false => json!({"text": formatter.value(row).to_string()}),
                })
                .collect())
        }
    }
}

/// Media bytes made visible by what their first bytes say they are.
fn bytes_cell(bytes: &[u8]) -> Value {
    let mime = infer::get(bytes).map(|t| t.mime_type()).unwrap_or_default();
    if mime.starts_with("image/") {
        // A large JPEG decodes at a reduced scale: the caption gives the file's own size.
        let size = imagesize::blob_size(bytes).ok();
        return match decode_for_size(bytes, THUMBNAIL / 2, DEFAULT_MAX_PIXELS) {
            Ok(image) => {
                let size = size.map_or((image.width(), image.height()), |s| {
                    (s.width as u32, s.height as u32)
                });
                image_cell(&image, size)
            }
            Err(e) => json!({"text": format!("{mime}, {} bytes: {e}", bytes.len())}),
        };
    }
    if mime.starts_with("audio/") && bytes.len() <= MAX_AUDIO_BYTES {
        return json!({"audio": format!("data:{mime};base64,{}", STANDARD.encode(bytes))});
    }
    if mime == "application/pdf" {
        let first_page = mediasql_udfs::pdf::pdf_page_texts::page_texts(bytes)
            .ok()
            .and_then(|pages| pages.into_iter().next())
            .map(|(_, text)| text.chars().take(PDF_CHARS).collect::<String>());
        return json!({"pdf": first_page.unwrap_or_default(), "bytes": bytes.len()});
    }
    let what = if mime.is_empty() { "bytes" } else { mime };
    json!({"text": format!("{} {what}", bytes.len())})
}

/// A JPEG thumbnail as a data URL, captioned with the image's `(width, height)`.
fn image_cell(image: &DynamicImage, (width, height): (u32, u32)) -> Value {
    let thumbnail = image.thumbnail(THUMBNAIL, THUMBNAIL).to_rgb8();
    let mut jpeg = Cursor::new(Vec::new());
    match thumbnail.write_to(&mut jpeg, image::ImageFormat::Jpeg) {
        Ok(()) => json!({
            "image": format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg.into_inner())),
            "text": format!("{width}x{height}"),
        }),
        Err(e) => json!({"text": format!("{width}x{height} image: {e}")}),
    }
}

/// Float lists abbreviated: the first values and the count.
fn vector_cells(column: &ArrayRef) -> Result<Vec<Value>> {
    let list = cast(column, &DataType::new_list(DataType::Float64, true))?;
    let list = list.as_list::<i32>();
    Ok((0..list.len())
        .map(|row| {
            if list.is_null(row) {
                return Value::Null;
            }
            let values = list.value(row);
            let values = values.as_primitive::<Float64Type>();
            let shown: Vec<String> = values
                .iter()
                .take(3)
                .flatten()
                .map(|v| format!("{v:.3}"))
                .collect();
            let more = if values.len() > 3 { ", …" } else { "" };
            json!({"text": format!("[{}{more}] ({} values)", shown.join(", "), values.len())})
        })
        .collect())
}
