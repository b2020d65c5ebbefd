"""Plain Python: the loop a user writes first. Read each file, decode it with the usual library,
call the model in batches of mediasql's size. `plain.py WORKLOAD DATA OUT.json`."""

import os
import sys

import common
from common import files, write_result


def images(data):
    from PIL import Image

    model, paths, labels = common.Classifier(), files(os.path.join(data, "images")), {}
    import numpy as np

    for i in range(0, len(paths), common.CLASSIFY_BATCH):
        batch = paths[i : i + common.CLASSIFY_BATCH]
        tensor = np.stack([common.classify_input(Image.open(p)) for p in batch])
        for path, label in zip(batch, model(tensor)):
            labels[os.path.basename(path)] = label
    return {"labels": labels}


def audio(data):
    model = common.Transcriber()
    texts = {}
    for path in files(os.path.join(data, "audio")):
        texts[os.path.basename(path)] = model(common.audio_samples(path))
    return {"texts": texts}


def documents(data):
    model, counts, pending = common.TextEmbedder(), {}, []
    for path in files(os.path.join(data, "documents")):
        with open(path, "rb") as f:
            pieces = common.chunks(common.pdf_text(f.read()))
        counts[os.path.basename(path)] = len(pieces)
        pending.extend(pieces)
        while len(pending) >= common.TEXT_BATCH:
            model(pending[: common.TEXT_BATCH])
            pending = pending[common.TEXT_BATCH :]
    if pending:
        model(pending)
    return {"chunks": counts}


def video(data):
    import numpy as np

    model, counts, frames = common.Detector(), {}, []

    def flush():
        tensors, scales = zip(*(common.detect_input(f) for f in frames))
        for labels in model(np.stack(tensors), scales):
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        frames.clear()

    for path in files(os.path.join(data, "video")):
        for frame in common.frames_at_1fps(path):
            frames.append(frame)
            if len(frames) == common.DETECT_BATCH:
                flush()
    if frames:
        flush()
    return {"labels": counts}


if __name__ == "__main__":
    workload, data, out = sys.argv[1:4]
    write_result(out, globals()[workload](data))
