//! The media table's schema: its columns, and the listing columns of files as a batch.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::Result;

use super::location::MediaFile;

/// Column indexes of [`media_schema`].
pub mod col {
    pub const PATH: usize = 0;
    pub const SIZE: usize = 1;
    pub const MODIFIED: usize = 2;
    pub const MIME: usize = 3;
    pub const KIND: usize = 4;
    pub const WIDTH: usize = 5;
    pub const HEIGHT: usize = 6;
    pub const FORMAT: usize = 7;
    pub const DURATION_S: usize = 8;
    pub const SAMPLE_RATE: usize = 9;
    pub const CHANNELS: usize = 10;
    pub const CODEC: usize = 11;
    pub const PAGES: usize = 12;
    pub const FPS: usize = 13;
    pub const FRAMES: usize = 14;
    pub const CONTENT: usize = 15;
    /// Columns known from the listing alone (no read at all).
    pub const LISTING: [usize; 3] = [PATH, SIZE, MODIFIED];
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let utc = Some(Arc::from("UTC"));
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("size", DataType::Int64, false),
        Field::new(
            "modified",
            DataType::Timestamp(TimeUnit::Microsecond, utc),
            false,
        ),
        Field::new("mime", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("width", DataType::Int32, true),
        Field::new("height", DataType::Int32, true),
        Field::new("format", DataType::Utf8, true),
        Field::new("duration_s", DataType::Float64, true),
        Field::new("sample_rate", DataType::Int32, true),
        Field::new("channels", DataType::Int32, true),
        Field::new("codec", DataType::Utf8, true),
        Field::new("pages", DataType::Int32, true),
        Field::new("fps", DataType::Float64, true),
        Field::new("frames", DataType::Int64, true),
        Field::new("content", DataType::Binary, true),
    ]))
});

/// The schema every media table has.
pub fn media_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

/// The listing-only columns (`path`, `size`, `modified`): what pushed-down filters may use.
pub fn listing_schema() -> SchemaRef {
    static LISTING: LazyLock<SchemaRef> = LazyLock::new(|| {
        let fields = col::LISTING.map(|i| SCHEMA.field(i).clone());
        Arc::new(Schema::new(fields.to_vec()))
    });
    Arc::clone(&LISTING)
}

/// The listing columns of `files`, as a batch of [`listing_schema`].
pub fn listing_batch(files: &[MediaFile]) -> Result<RecordBatch> {
    let paths: ArrayRef = Arc::new(StringArray::from_iter_values(files.iter().map(|f| &f.path)));
    let sizes: ArrayRef = Arc::new(Int64Array::from_iter_values(
        files
            .iter()
            .map(|f| i64::try_from(f.meta.size).unwrap_or(i64::MAX)),
    ));
    let modified: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from_iter_values(
            files
                .iter()
                .map(|f| f.meta.last_modified.timestamp_micros()),
        )
        .with_timezone("UTC"),
    );
    Ok(RecordBatch::try_new(
        listing_schema(),
        vec![paths, sizes, modified],
    )?)
}
