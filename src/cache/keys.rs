//! What the inference cache is keyed by: blake3 hashes (collision-resistant: a collision
//! would hand one file another's result).
//!
//! - a row's **content hash**: its bytes (binary), its text (strings), or its Arrow row
//!   encoding (anything else: a decoded image, audio samples), each in its own domain;
//! - a **call key**: the function, the version of its pre/post-processing, the model's
//!   fingerprint (its files' sha256 and its preprocessing) and the constant arguments that
//!   change the output (`top_k`, `language`...; not `on_error`: errors are never cached);
//! - a **result key**: hash of content hash and call key;
//! - a **file identity**: location, object path, size, modified time, ETag and version.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::Result;

/// A 32-byte blake3 hash.
pub type Key = [u8; 32];

/// Bumped when the layout of keys or values changes: older entries are then never read.
const FORMAT: &str = "mediasql-inference-cache/1";

/// The content hash of each row of `column` (None for NULL rows).
pub fn content_hashes(column: &ArrayRef) -> Result<Vec<Option<Key>>> {
    let hash = |domain: &str, bytes: &[u8]| {
        let mut hasher = blake3::Hasher::new();
        hasher.update(domain.as_bytes());
        hasher.update(bytes);
        *hasher.finalize().as_bytes()
    };
    let rows = column.len();
    let valid = |i: usize| column.is_valid(i);
    let hashes = match column.data_type() {
        DataType::Binary => binary(column.as_binary::<i32>(), &hash),
        DataType::LargeBinary => binary(column.as_binary::<i64>(), &hash),
        DataType::BinaryView => (0..rows)
            .map(|i| valid(i).then(|| hash("bytes", column.as_binary_view().value(i))))
            .collect(),
        DataType::Utf8 => strings(column.as_string::<i32>(), &hash),
        DataType::LargeUtf8 => strings(column.as_string::<i64>(), &hash),
        DataType::Utf8View => (0..rows)
            .map(|i| valid(i).then(|| hash("text", column.as_string_view().value(i).as_bytes())))
            .collect(),
        other => {
            let converter = RowConverter::new(vec![SortField::new(other.clone())])?;
            let encoded = converter.convert_columns(std::slice::from_ref(column))?;
            let domain = format!("row:{other}");
            (0..rows)
                .map(|i| valid(i).then(|| hash(&domain, encoded.row(i).as_ref())))
                .collect()
        }
    };
    Ok(hashes)
}

fn binary<O: datafusion::arrow::array::OffsetSizeTrait>(
    array: &datafusion::arrow::array::GenericBinaryArray<O>,
    hash: &dyn Fn(&str, &[u8]) -> Key,
) -> Vec<Option<Key>> {
    array.iter().map(|v| v.map(|b| hash("bytes", b))).collect()
}

fn strings<O: datafusion::arrow::array::OffsetSizeTrait>(
    array: &datafusion::arrow::array::GenericStringArray<O>,
    hash: &dyn Fn(&str, &[u8]) -> Key,
) -> Vec<Option<Key>> {
    array
        .iter()
        .map(|v| v.map(|s| hash("text", s.as_bytes())))
        .collect()
}

/// The content hash of a file's bytes (as [`content_hashes`] hashes a binary row).
pub fn bytes_hash(bytes: &[u8]) -> Key {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"bytes");
    hasher.update(bytes);
    *hasher.finalize().as_bytes()
}

/// A call's key: what, besides the input, decides its output.
pub fn call_key(
    function: &str,
    pass_fingerprint: &str,
    options: &[String],
    output: &DataType,
) -> Key {
    let mut hasher = blake3::Hasher::new();
    for part in [FORMAT, function, pass_fingerprint]
        .into_iter()
        .map(str::to_string)
        .chain(options.iter().cloned())
        .chain(std::iter::once(output.to_string()))
    {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    *hasher.finalize().as_bytes()
}

/// The key of one call's result on one input.
pub fn result_key(content: &Key, call: &Key) -> Key {
    let mut hasher = blake3::Hasher::new();
    hasher.update(content);
    hasher.update(call);
    *hasher.finalize().as_bytes()
}

/// What identifies one version of a file: never its path alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity<'a> {
    pub location: &'a str,
    pub path: &'a str,
    pub size: u64,
    pub modified_ns: i64,
    pub etag: Option<&'a str>,
    pub version: Option<&'a str>,
}

impl FileIdentity<'_> {
    pub fn key(&self) -> Key {
        let mut hasher = blake3::Hasher::new();
        hasher.update(FORMAT.as_bytes());
        for part in [
            Some(self.location),
            Some(self.path),
            self.etag,
            self.version,
        ] {
            let part = part.unwrap_or("\u{0}none");
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.update(&self.size.to_le_bytes());
        hasher.update(&self.modified_ns.to_le_bytes());
        *hasher.finalize().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{BinaryArray, StringArray, StringViewArray};

    use super::*;

    #[test]
    fn equal_content_equal_hash_whatever_the_array_type() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("a cat"), None]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("a cat"), None]));
        let bytes: ArrayRef = Arc::new(BinaryArray::from(vec![Some(b"a cat".as_slice()), None]));
        let (t, v, b) = (
            content_hashes(&text).unwrap(),
            content_hashes(&view).unwrap(),
            content_hashes(&bytes).unwrap(),
        );
        assert_eq!(t, v);
        assert_eq!(t[1], None);
        // Bytes and text are different inputs to a model.
        assert_ne!(t[0], b[0]);
        assert_eq!(b[0], Some(bytes_hash(b"a cat")));
    }

    #[test]
    fn a_file_is_not_its_path() {
        let one = FileIdentity {
            location: "s3://b/",
            path: "x.jpg",
            size: 10,
            modified_ns: 1,
            etag: Some("e1"),
            version: None,
        };
        let changed = FileIdentity {
            etag: Some("e2"),
            ..one.clone()
        };
        let touched = FileIdentity {
            modified_ns: 2,
            ..one.clone()
        };
        assert_ne!(one.key(), changed.key());
        assert_ne!(one.key(), touched.key());
        assert_eq!(one.key(), one.clone().key());
    }
}
