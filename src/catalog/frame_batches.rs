//! One partition of `video_frames`: the files its scan lists, decoded into batches of frame
//! rows `(path, frame, timestamp_s, is_keyframe, image)`, a batch per job on the CPU pool,
//! never a whole decoded video at once (see [`super::video_frames`] for what is promised).

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{Result, exec_err};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use image::DynamicImage;
use mediasql_udfs::image::{image_type, to_array};
use mediasql_udfs::on_error::OnError;
use mediasql_udfs::video::decode::{FrameOptions, FrameReader, VideoFrame};

use super::location::local_path;
use crate::pools;

/// Pixels a batch of frames holds at most (a 1080p frame is 6 MiB).
pub const BATCH_BYTES: usize = 8 << 20;
/// Frames a batch holds at most.
pub const BATCH_ROWS: usize = 64;

/// The rows of `video_frames` and `video_keyframes`.
pub fn frames_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("frame", DataType::Int64, true),
        Field::new("timestamp_s", DataType::Float64, true),
        Field::new("is_keyframe", DataType::Boolean, true),
        Field::new("image", image_type(), true),
    ]))
}

/// The frames of the videos `files` lists (`path`, and `content` unless the files are
/// local), in batches; `name` is the table function's, for errors.
pub fn frame_batches(
    name: &'static str,
    files: SendableRecordBatchStream,
    options: FrameOptions,
    on_error: OnError,
) -> SendableRecordBatchStream {
    let state = Decoding {
        name,
        files,
        queue: VecDeque::new(),
        current: None,
        options,
        on_error,
        done: false,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        let next = state.next_batch().await.transpose()?;
        if next.is_err() {
            state.done = true;
        }
        Some((next, state))
    });
    Box::pin(RecordBatchStreamAdapter::new(frames_schema(), stream))
}

/// A video being decoded.
struct OpenVideo {
    path: String,
    reader: FrameReader,
}

/// A file waiting to be decoded (its bytes, or None for a local file opened in place), being
/// decoded, or damaged after the frames already sent.
enum Video {
    Waiting {
        path: String,
        bytes: Option<Vec<u8>>,
    },
    Open(Box<OpenVideo>),
    Failed {
        path: String,
        error: String,
    },
}

/// One partition's decoding state.
struct Decoding {
    name: &'static str,
    files: SendableRecordBatchStream,
    queue: VecDeque<Video>,
    current: Option<Video>,
    options: FrameOptions,
    on_error: OnError,
    done: bool,
}

impl Decoding {
    /// The next batch of frames; None at the end.
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(video) = self.current.take() {
                let (name, options, on_error) = (self.name, self.options, self.on_error);
                let (video, batch) = pools::cpu()
                    .run(move |_stop| Ok(decode_batch(name, video, options, on_error)))
                    .await?;
                self.current = video;
                let batch = batch?;
                if batch.num_rows() > 0 {
                    return Ok(Some(batch));
                }
                continue;
            }
            if let Some(video) = self.queue.pop_front() {
                self.current = Some(video);
                continue;
            }
            match self.files.next().await {
                Some(files) => self.queue.extend(waiting_videos(&files?)?),
                None => return Ok(None),
            }
        }
    }
}

/// The files of a scan batch (`path`, and `content` unless the files are local), to decode.
fn waiting_videos(batch: &RecordBatch) -> Result<Vec<Video>> {
    let paths = batch.column(0).as_string::<i32>();
    let contents = (batch.num_columns() > 1).then(|| batch.column(1).as_binary::<i32>());
    Ok((0..batch.num_rows())
        .map(|row| Video::Waiting {
            path: paths.value(row).to_string(),
            bytes: contents.map(|c| {
                if c.is_null(row) {
                    Vec::new()
                } else {
                    c.value(row).to_vec()
                }
            }),
        })
        .collect())
}

/// Opens a waiting video: in place when local, else from its bytes.
fn open(path: &str, bytes: Option<&[u8]>, options: FrameOptions) -> Result<FrameReader, String> {
    match bytes {
        Some(bytes) => FrameReader::from_bytes(bytes, options),
        None => FrameReader::open(local_path(path), options),
    }
}

/// Decodes the next batch of `video`'s frames; gives back the video when it has more.
fn decode_batch(
    name: &str,
    video: Video,
    options: FrameOptions,
    on_error: OnError,
) -> (Option<Video>, Result<RecordBatch>) {
    let mut video = match video {
        Video::Open(video) => video,
        Video::Waiting { path, bytes } => match open(&path, bytes.as_deref(), options) {
            Ok(reader) => Box::new(OpenVideo { path, reader }),
            Err(e) => return (None, failed(name, &path, &e, Vec::new(), on_error)),
        },
        Video::Failed { path, error } => return (None, exec_err!("{name}: {path}: {error}")),
    };
    let mut frames = Vec::new();
    let mut bytes = 0;
    let mut pull = video.reader.frames();
    while frames.len() < BATCH_ROWS && bytes < BATCH_BYTES {
        match pull.next_frame() {
            Ok(Some(frame)) => {
                bytes += frame.image.as_raw().len();
                frames.push(frame);
            }
            Ok(None) => return (None, frames_batch(&video.path, frames, false)),
            // The frames before the damage go out first; the error comes with the next call.
            Err(e) if on_error == OnError::Raise && !frames.is_empty() => {
                let last = frames.last().map_or(0, |f| f.index);
                let failed = Video::Failed {
                    path: video.path.clone(),
                    error: format!("{e} (after frame {last})"),
                };
                return (Some(failed), frames_batch(&video.path, frames, false));
            }
            Err(e) => return (None, failed(name, &video.path, &e, frames, on_error)),
        }
    }
    let batch = frames_batch(&video.path, frames, false);
    (Some(Video::Open(video)), batch)
}

/// The frames before a failure, then the failure: an error naming the file, or with
/// `on_error => 'null'` a last row whose frame columns are NULL.
fn failed(
    name: &str,
    path: &str,
    error: &str,
    frames: Vec<VideoFrame>,
    on_error: OnError,
) -> Result<RecordBatch> {
    match on_error {
        OnError::Null => frames_batch(path, frames, true),
        OnError::Raise => exec_err!("{name}: {path}: {error}"),
    }
}

/// Rows of `frames` of the video at `path`, plus a row of NULL frame columns when
/// `null_row`.
fn frames_batch(path: &str, frames: Vec<VideoFrame>, null_row: bool) -> Result<RecordBatch> {
    let rows = frames.len() + usize::from(null_row);
    let mut index = Vec::with_capacity(rows);
    let mut time = Vec::with_capacity(rows);
    let mut key = Vec::with_capacity(rows);
    let mut images = Vec::with_capacity(rows);
    for frame in frames {
        index.push(Some(frame.index));
        time.push(Some(frame.timestamp_s));
        key.push(Some(frame.is_keyframe));
        images.push(Some(DynamicImage::ImageRgb8(frame.image)));
    }
    if null_row {
        index.push(None);
        time.push(None);
        key.push(None);
        images.push(None);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![path; rows])),
        Arc::new(Int64Array::from(index)),
        Arc::new(Float64Array::from(time)),
        Arc::new(BooleanArray::from(key)),
        to_array(&images)?,
    ];
    Ok(RecordBatch::try_new(frames_schema(), columns)?)
}
