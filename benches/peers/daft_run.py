"""Daft (0.7): the four workloads as Daft's docs write them. List the files with
`daft.from_glob_path`, read them with `.download()`, decode with Daft's native functions where
it has them (`decode_image`, `daft.read_video_frames`), do the rest in row-wise `@daft.func`s
and run each model in a `@daft.cls` class, its batch method at mediasql's batch size, one
instance (`max_concurrency=1`), in this process, on the native (local) runner.
`daft_run.py WORKLOAD DATA OUT.json`; the model code is common.py's, the output plain.py's.
"""

import io
import os
import sys

# Daft reports every import and every query to Scarf unless told not to; the benchmark is offline.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAFT_ANALYTICS_ENABLED", "0")

import daft  # noqa: E402
import numpy as np  # noqa: E402
from daft import DataType, col  # noqa: E402
from PIL import Image  # noqa: E402

import common  # noqa: E402
from common import write_result  # noqa: E402


def basename(path):
    return os.path.basename(path)


# --- images ----------------------------------------------------------------------------------

CLASSIFY_TENSOR = DataType.tensor(DataType.float32(), shape=(3, 224, 224))


# Daft's native resize takes one fixed (w, h) for the whole column, so the aspect-keeping
# shorter-side resize and centre crop are done per image, on the natively decoded pixels.
@daft.func(return_dtype=CLASSIFY_TENSOR)
def classify_tensor(image: np.ndarray):
    return common.classify_input(Image.fromarray(image))


@daft.cls(max_concurrency=1)
class Classifier:
    def __init__(self):
        self.model = common.Classifier()

    @daft.method.batch(return_dtype=DataType.string(), batch_size=common.CLASSIFY_BATCH)
    def __call__(self, tensors: daft.Series):
        return self.model(np.stack(tensors.to_pylist()))


def images(data):
    df = daft.from_glob_path(os.path.join(data, "images", "*"))
    df = df.with_column("image", col("path").download().decode_image(mode="RGB"))
    df = df.with_column("label", Classifier()(classify_tensor(col("image"))))
    out = df.select("path", "label").to_pydict()
    return {"labels": {basename(p): label for p, label in zip(out["path"], out["label"])}}


# --- audio -----------------------------------------------------------------------------------


@daft.cls(max_concurrency=1)
class Transcriber:
    def __init__(self):
        self.model = common.Transcriber()

    def __call__(self, data: bytes) -> str:
        return self.model(common.audio_samples(io.BytesIO(data)))


def audio(data):
    df = daft.from_glob_path(os.path.join(data, "audio", "*"))
    df = df.with_column("text", Transcriber()(col("path").download()))
    out = df.select("path", "text").to_pydict()
    return {"texts": {basename(p): text for p, text in zip(out["path"], out["text"])}}


# --- documents -------------------------------------------------------------------------------

pdf_text = daft.func(common.pdf_text, return_dtype=DataType.string())
chunk_text = daft.func(common.chunks, return_dtype=DataType.list(DataType.string()))


@daft.cls(max_concurrency=1)
class TextEmbedder:
    def __init__(self):
        self.model = common.TextEmbedder()

    @daft.method.batch(
        return_dtype=DataType.embedding(DataType.float32(), 384), batch_size=common.TEXT_BATCH
    )
    def __call__(self, texts: daft.Series):
        return self.model(texts.to_pylist()).astype(np.float32)


def documents(data):
    df = daft.from_glob_path(os.path.join(data, "documents", "*"))
    df = df.with_column("chunk", chunk_text(pdf_text(col("path").download())))
    df = df.explode("chunk").where(col("chunk").not_null())  # (a PDF with no text drops out)
    df = df.with_column("embedding", TextEmbedder()(col("chunk")))
    # Count the embeddings (not the chunks), so that the model has to run.
    df = df.groupby("path").agg(col("embedding").count().alias("n"))
    out = df.to_pydict()
    return {"chunks": {basename(p): n for p, n in zip(out["path"], out["n"])}}


# --- video -----------------------------------------------------------------------------------

DETECT_TENSOR = DataType.tensor(DataType.float32(), shape=(3, 416, 416))
DETECT_INPUT = DataType.struct({"tensor": DETECT_TENSOR, "scale": DataType.float64()})


@daft.func(return_dtype=DETECT_INPUT, unnest=True)
def detect_input(frame: np.ndarray):
    tensor, scale = common.detect_input(Image.fromarray(frame))
    return {"tensor": tensor, "scale": scale}


@daft.cls(max_concurrency=1)
class Detector:
    def __init__(self):
        self.model = common.Detector()

    @daft.method.batch(
        return_dtype=DataType.list(DataType.string()), batch_size=common.DETECT_BATCH
    )
    def __call__(self, tensors: daft.Series, scales: daft.Series):
        return self.model(np.stack(tensors.to_pylist()), scales.to_pylist())


def frame_size(paths):
    """read_video_frames resizes every frame to one size given up front: the videos' own
    (the benchmark's videos share it), so that frames reach detect_input as decoded."""
    import av

    sizes = set()
    for path in paths:
        with av.open(path) as container:
            stream = container.streams.video[0]
            sizes.add((stream.width, stream.height))
    assert len(sizes) == 1, f"videos of several sizes: {sizes}"
    return sizes.pop()


def video(data):
    # Daft 0.7.26's read_video_frames deadlocks on 2 cores with 2 videos or more: each scan task
    # blocks one of Daft's IO threads waiting for its frames, while its File.open() on Daft's
    # event loop waits for a free IO thread. One scan task at a time leaves one free (plain
    # Python decodes one video at a time too).
    daft.set_execution_config(scantask_max_parallel=1)
    width, height = frame_size(common.files(os.path.join(data, "video")))
    df = daft.read_video_frames(
        os.path.join(data, "video", "*"),
        image_height=height,
        image_width=width,
        sample_interval_seconds=1.0,
    )
    df = df.select(detect_input(col("data")))
    df = df.select(Detector()(col("tensor"), col("scale")).alias("label")).explode("label")
    df = df.where(col("label").not_null()).groupby("label").agg(col("label").count().alias("n"))
    out = df.to_pydict()
    return {"labels": dict(zip(out["label"], out["n"]))}


if __name__ == "__main__":
    workload, data, out = sys.argv[1:4]
    daft.set_runner_native()
    write_result(out, globals()[workload](data))
