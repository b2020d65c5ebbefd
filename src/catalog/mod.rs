//! Media tables: directories, globs or object-store prefixes of media files as SQL tables.
//!
//! - [`location`]: parse a location, list its files.
//! - [`schema`]: the columns every media table has.
//! - [`table::MediaTable`]: the `TableProvider` (filter, projection and limit pushdown).
//! - [`scan::MediaScanExec`]: the physical scan reading headers or bodies as needed, of the
//!   files its input lists ([`file_list`]: a plan, so that a cluster can split it).
//! - [`probe`] / [`audio_header`] / [`video_header`]: facts from headers without decoding.
//! - [`factory`]: `CREATE EXTERNAL TABLE ... STORED AS MEDIA`; [`read_media`]: the table function.
//! - [`pdf_pages`]: the pages of a location's PDFs as rows (a view over the media table).
//! - [`video_frames`]: the frames of a location's videos as rows (`VideoFramesExec`), decoded
//!   by [`frame_batches`].

pub mod audio_header;
pub mod deferred_bodies;
pub mod factory;
pub mod file_list;
mod file_reader;
pub mod frame_batches;
pub mod location;
pub mod pdf_pages;
pub mod probe;
pub mod read_media;
pub mod scan;
pub mod schema;
pub mod table;
pub mod video_frames;
pub mod video_header;

pub use location::{KindFilter, MediaLocation};
pub use scan::ScanOptions;
pub use schema::{col, listing_schema, media_schema};
pub use table::MediaTable;
