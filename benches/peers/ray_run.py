"""Ray Data: the four workloads written the way Ray Data's batch-inference docs write them.
`ray.data.read_binary_files(..., include_paths=True)` reads the files, a `map_batches` function
decodes and preprocesses them, and a `map_batches` callable class (one actor,
`compute=ActorPoolStrategy(size=1)`, holding the model with common's 2 ORT threads) runs the
model in batches of mediasql's size. Ray's optimizer fuses the preprocessing into the model's
actor (task -> actor map fusion, its default), so files are read in tasks and decoded in the
actor. Ray gets the machine's 2 CPUs, no dashboard, no usage stats and a 1 GiB object store; it
starts and stops inside the timed run. `ray_run.py WORKLOAD DATA OUT.json`.
"""

import io
import logging
import os
import sys
from collections import Counter

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before `import ray`: nothing phones home
HERE = os.path.dirname(os.path.abspath(__file__))  # common.py: on PYTHONPATH for the workers

import numpy as np  # noqa: E402
import ray  # noqa: E402

import common  # noqa: E402

ONE_ACTOR = ray.data.ActorPoolStrategy(size=1)  # one model, as mediasql runs one


def read(data, kind):
    return ray.data.read_binary_files(os.path.join(data, kind), include_paths=True)


def name(path):
    return os.path.basename(str(path))


# --- images ----------------------------------------------------------------------------------


def decode_images(batch):
    from PIL import Image

    tensors = [common.classify_input(Image.open(io.BytesIO(b))) for b in batch["bytes"]]
    return {"path": batch["path"], "image": np.stack(tensors)}


class Classify:
    def __init__(self):
        self.model = common.Classifier()

    def __call__(self, batch):
        return {"path": batch["path"], "label": np.array(self.model(batch["image"]))}


def images(data):
    ds = read(data, "images").map_batches(decode_images, batch_size=common.CLASSIFY_BATCH)
    ds = ds.map_batches(Classify, batch_size=common.CLASSIFY_BATCH, compute=ONE_ACTOR)
    return {"labels": {name(r["path"]): r["label"] for r in ds.iter_rows()}}


# --- audio -----------------------------------------------------------------------------------


def decode_audio(batch):
    samples = [common.audio_samples(io.BytesIO(b)) for b in batch["bytes"]]
    return {"path": batch["path"], "samples": samples}


class Transcribe:
    def __init__(self):
        self.model = common.Transcriber()

    def __call__(self, batch):
        return {"path": batch["path"], "text": np.array([self.model(s) for s in batch["samples"]])}


def audio(data):
    ds = read(data, "audio").map_batches(decode_audio, batch_size=1)
    ds = ds.map_batches(Transcribe, batch_size=1, compute=ONE_ACTOR)
    return {"texts": {name(r["path"]): r["text"] for r in ds.iter_rows()}}


# --- documents -------------------------------------------------------------------------------


def split_pdfs(batch):
    """One row per chunk, keeping its file's path (map_batches may change the row count)."""
    paths, texts = [], []
    for path, data in zip(batch["path"], batch["bytes"]):
        pieces = common.chunks(common.pdf_text(data))
        paths += [path] * len(pieces)
        texts += pieces
    return {"path": np.array(paths, dtype=object), "text": np.array(texts, dtype=object)}


class Embed:
    def __init__(self):
        self.model = common.TextEmbedder()

    def __call__(self, batch):
        return {"path": batch["path"], "embedding": self.model(batch["text"])}


def documents(data):
    ds = read(data, "documents").map_batches(split_pdfs, batch_size=1)
    ds = ds.map_batches(Embed, batch_size=common.TEXT_BATCH, compute=ONE_ACTOR)
    counts = {name(p): 0 for p in common.files(os.path.join(data, "documents"))}
    for batch in ds.iter_batches(batch_format="numpy"):
        for path in batch["path"]:
            counts[name(path)] += 1
    return {"chunks": counts}


# --- video -----------------------------------------------------------------------------------


def video_frames(batch):
    """One row per frame at 1 fps: the letterboxed tensor and its scale."""
    tensors, scales = [], []
    for data in batch["bytes"]:
        for frame in common.frames_at_1fps(io.BytesIO(data)):
            tensor, scale = common.detect_input(frame)
            tensors.append(tensor)
            scales.append(scale)
    if not tensors:
        return {"image": np.zeros((0, 3, 416, 416), np.float32), "scale": np.zeros(0)}
    return {"image": np.stack(tensors), "scale": np.array(scales)}


class Detect:
    def __init__(self):
        self.model = common.Detector()

    def __call__(self, batch):
        """One row per detection: its label."""
        per_frame = self.model(batch["image"], batch["scale"])
        labels = [label for frame in per_frame for label in frame]
        return {"label": np.array(labels, dtype=object)}


def video(data):
    ds = read(data, "video").map_batches(video_frames, batch_size=1)
    ds = ds.map_batches(Detect, batch_size=common.DETECT_BATCH, compute=ONE_ACTOR)
    counts = Counter()
    for batch in ds.iter_batches(batch_format="numpy"):
        counts.update(str(label) for label in batch["label"])
    return {"labels": dict(counts)}


if __name__ == "__main__":
    workload, data, out = sys.argv[1:4]
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=1 << 30,
        logging_level=logging.WARNING,
        runtime_env={"env_vars": {"PYTHONPATH": HERE}},
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    try:
        common.write_result(out, globals()[workload](data))
    finally:
        ray.shutdown()
