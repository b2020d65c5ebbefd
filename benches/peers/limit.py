"""The limit: each model alone on pre-made inputs, with the same threads and batch sizes. Nobody
can pass it on this machine; every system is measured as a fraction of it.

`limit.py prepare WORKLOAD DATA PREP` makes the inputs (not timed): image tensors, letterboxed
frames, 16 kHz samples, token batches (sorted by length, the best order there is).
`limit.py run WORKLOAD PREP OUT.json` is timed: process start, model load, the model on every
input, and the results (for the cross-check).
"""

import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

import common


def prepare(workload, data, prep):
    prep = Path(prep)
    prep.mkdir(parents=True, exist_ok=True)
    paths = common.files(os.path.join(data, workload))
    names = [os.path.basename(p) for p in paths]
    if workload == "images":
        from PIL import Image

        tensors = np.stack([common.classify_input(Image.open(p)) for p in paths])
        np.save(prep / "images.npy", tensors)
        meta = {"names": names}
    elif workload == "video":
        frames = [f for p in paths for f in common.frames_at_1fps(p)]
        np.save(prep / "video.npy", np.stack([common.detect_input(f)[0] for f in frames]))
        meta = {"frames": len(frames)}
    elif workload == "audio":
        np.savez(prep / "audio.npz", *[common.audio_samples(p) for p in paths])
        meta = {"names": names}
    else:
        counts, texts = {}, []
        for name, path in zip(names, paths):
            with open(path, "rb") as f:
                pieces = common.chunks(common.pdf_text(f.read()))
            counts[name] = len(pieces)
            texts.extend(pieces)
        embedder = common.TextEmbedder()
        texts.sort(key=lambda t: len(embedder.tokenizer.encode(t).ids))
        batches = [embedder.tokens(texts[i : i + common.TEXT_BATCH])
                   for i in range(0, len(texts), common.TEXT_BATCH)]
        with open(prep / "documents.pkl", "wb") as f:
            pickle.dump(batches, f)
        meta = {"chunks": counts}
    (prep / f"{workload}.json").write_text(json.dumps(meta))


def run(workload, prep):
    prep = Path(prep)
    meta = json.loads((prep / f"{workload}.json").read_text())
    if workload == "images":
        model, tensors = common.Classifier(), np.load(prep / "images.npy", mmap_mode="r")
        labels = []
        for i in range(0, len(tensors), common.CLASSIFY_BATCH):
            labels += model(np.ascontiguousarray(tensors[i : i + common.CLASSIFY_BATCH]))
        return {"labels": dict(zip(meta["names"], labels))}
    if workload == "video":
        model, frames, counts = common.Detector(), np.load(prep / "video.npy", mmap_mode="r"), {}
        for i in range(0, len(frames), common.DETECT_BATCH):
            batch = np.ascontiguousarray(frames[i : i + common.DETECT_BATCH])
            for labels in model(batch, [1.0] * len(batch)):
                for label in labels:
                    counts[label] = counts.get(label, 0) + 1
        return {"labels": counts}
    if workload == "audio":
        model, samples = common.Transcriber(), np.load(prep / "audio.npz")
        texts = [model(samples[f"arr_{i}"]) for i in range(len(meta["names"]))]
        return {"texts": dict(zip(meta["names"], texts))}
    model = common.TextEmbedder()
    with open(prep / "documents.pkl", "rb") as f:
        for ids, mask in pickle.load(f):
            model.run(ids, mask)
    return {"chunks": meta["chunks"]}


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(*sys.argv[2:5])
    else:
        common.write_result(sys.argv[4], run(sys.argv[2], sys.argv[3]))
