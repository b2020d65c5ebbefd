"""What every Python system of the peers benchmark shares: the model files, the threads and batch
sizes (mediasql's own), and each model's pre- and post-processing written the way a Python user
writes it (Pillow, PyAV, pypdf, tokenizers, onnxruntime, pywhispercpp). The systems differ in how
they read, decode, batch and schedule, not in the model code.
"""

import json
import os
import re
from pathlib import Path

import numpy as np

THREADS = 2
MODELS = Path(os.environ.get("MEDIASQL_MODELS", Path.home() / ".cache/mediasql/models"))
CLASSIFY_BATCH = 16  # mediasql's manifest: efficientnet_lite0 batch_size
DETECT_BATCH = 8  # yolox_nano batch_size
TEXT_BATCH = 64  # embed_text's batch
CHUNK_SIZE, CHUNK_OVERLAP = 200, 20
MIN_SCORE, NMS_IOU = 0.3, 0.45


def files(directory):
    return sorted(str(p) for p in Path(directory).iterdir() if p.is_file())


def write_result(path, result):
    Path(path).write_text(json.dumps(result, indent=1, sort_keys=True))


def onnx_session(model_file):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


# --- images: EfficientNet-Lite0 -------------------------------------------------------------


class Classifier:
    def __init__(self):
        self.session = onnx_session(MODELS / "efficientnet-lite0/model.onnx")
        self.labels = (MODELS / "efficientnet-lite0/labels.txt").read_text().splitlines()

    def __call__(self, batch):
        """NCHW float32 batch -> top-1 labels."""
        (logits,) = self.session.run(["logits"], {"input": batch})
        return [self.labels[i] for i in logits.argmax(axis=1)]


def classify_input(image):
    """A PIL image -> CHW float32: shorter side to 256 (bilinear), centre crop 224,
    (x - 127) / 128."""
    from PIL import Image

    image = image.convert("RGB")
    w, h = image.size
    scale = 256 / min(w, h)
    nw, nh = max(224, round(w * scale)), max(224, round(h * scale))
    image = image.resize((nw, nh), Image.BILINEAR)
    left, top = (nw - 224) // 2, (nh - 224) // 2
    image = image.crop((left, top, left + 224, top + 224))
    x = (np.asarray(image, dtype=np.float32) - 127.0) / 128.0
    return x.transpose(2, 0, 1)


# --- video: YOLOX-nano -----------------------------------------------------------------------


class Detector:
    def __init__(self):
        self.session = onnx_session(MODELS / "yolox-nano/model.onnx")
        self.labels = (MODELS / "yolox-nano/labels.txt").read_text().splitlines()

    def __call__(self, batch, scales):
        """NCHW float32 letterboxed batch -> per image, its labels after NMS."""
        (raw,) = self.session.run(["output"], {"images": batch})
        return [[self.labels[c] for c in detect(raw[i])] for i in range(len(scales))]


def detect_input(image):
    """A PIL image -> (CHW float32 letterboxed 416, BGR, pad 114, raw 0-255; its scale)."""
    from PIL import Image

    image = image.convert("RGB")
    w, h = image.size
    r = min(416 / w, 416 / h)
    resized = image.resize((max(1, round(w * r)), max(1, round(h * r))), Image.BILINEAR)
    canvas = np.full((416, 416, 3), 114, dtype=np.float32)
    pixels = np.asarray(resized, dtype=np.float32)
    canvas[: pixels.shape[0], : pixels.shape[1]] = pixels
    return canvas[:, :, ::-1].transpose(2, 0, 1).copy(), r


def _grid():
    cells = []
    for stride in (8, 16, 32):
        n = 416 // stride
        gy, gx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        cells.append(np.stack([gx.ravel(), gy.ravel(), np.full(n * n, stride)], axis=1))
    return np.concatenate(cells).astype(np.float32)


GRID = _grid()


def detect(raw):
    """One image's [3549, 85] output -> class ids kept after per-class NMS (score >= 0.3)."""
    keep = raw[:, 4] >= MIN_SCORE
    rows, grid = raw[keep], GRID[keep]
    scores = rows[:, 4:5] * rows[:, 5:]
    anchor, cls = np.nonzero(scores >= MIN_SCORE)
    if len(anchor) == 0:
        return []
    stride = grid[anchor, 2]
    cx = (rows[anchor, 0] + grid[anchor, 0]) * stride
    cy = (rows[anchor, 1] + grid[anchor, 1]) * stride
    w, h = np.exp(rows[anchor, 2]) * stride, np.exp(rows[anchor, 3]) * stride
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    score = scores[anchor, cls]
    kept = []
    for i in np.argsort(-score, kind="stable"):
        if all(cls[k] != cls[i] or iou(boxes[k], boxes[i]) <= NMS_IOU for k in kept):
            kept.append(i)
    return [int(cls[i]) for i in kept]


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def frames_at_1fps(path):
    """The first frame at or after each whole second, as PIL images (PyAV)."""
    import av

    out, next_s = [], 0.0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-6 >= next_s:
                out.append(frame.to_image())
                next_s += 1.0
    return out


# --- documents: pypdf, chunking, all-MiniLM-L6-v2 --------------------------------------------


def pdf_text(data):
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    # pypdf ends each line with " \n" where mediasql's pdf_text has one space: whitespace runs
    # made one space, so that both chunk the same characters.
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text).strip()


def chunks(text, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP):
    """mediasql's chunk_text: windows of `size` characters cut after whitespace past the
    middle, each starting `overlap` characters back at the start of that word."""
    n, out, start = len(text), [], 0
    while start < n:
        end = min(start + size, n)
        boundary = end == n or text[end].isspace()
        if not boundary:
            for c in range(end - 1, start + size // 2 - 1, -1):
                if text[c].isspace():
                    end, boundary = c + 1, True
                    break
        chunk = text[start:end].strip()
        if chunk:
            out.append(chunk)
        if end == n:
            break
        nxt = max(end - overlap, 0)
        while boundary and start < nxt < end and not text[nxt - 1].isspace():
            nxt -= 1
        if nxt <= start:
            nxt = start + 1
            while boundary and nxt < end and not text[nxt - 1].isspace():
                nxt += 1
        start = nxt
    return out


class TextEmbedder:
    def __init__(self):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(MODELS / "all-MiniLM-L6-v2/tokenizer.json"))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(MODELS / "all-MiniLM-L6-v2/model.onnx")

    def tokens(self, texts):
        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return ids, mask

    def run(self, ids, mask):
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        summed = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(1), 1)[:, None]
        return summed / np.linalg.norm(summed, axis=1, keepdims=True)

    def __call__(self, texts):
        return self.run(*self.tokens(texts))


# --- audio: whisper tiny.en through whisper.cpp's Python binding ------------------------------


class Transcriber:
    def __init__(self):
        from pywhispercpp.model import Model

        self.model = Model(
            str(MODELS / "whisper-tiny.en/ggml-tiny.en.bin"),
            n_threads=THREADS,
            print_progress=False,
            print_realtime=False,
            print_timestamps=False,
            redirect_whispercpp_logs_to=None,
        )

    def __call__(self, samples):
        return " ".join(s.text.strip() for s in self.model.transcribe(samples)).strip()


def audio_samples(path_or_file):
    """Decode (PyAV) and resample to 16 kHz mono float32."""
    import av

    with av.open(path_or_file) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        parts = []
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
