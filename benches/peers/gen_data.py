"""Makes the peers benchmark's inputs, deterministically (seeded; the same bytes from the same
Pillow, PyAV and espeak-ng): `gen_data.py OUT SCALE` writes, under OUT,

- images/: 2,000 x SCALE JPEGs of about 500x375, crops of the repository's fixture photos;
- audio/: 48 x SCALE speech clips of 3-10 s (espeak-ng), half WAV at 22.05 kHz, half MP3,
  with truth.json holding what each one says;
- documents/: 200 x SCALE PDFs of 3-6 pages of prose;
- video/: 20 x SCALE H.264 MP4s of 10 s, 640x480 at 25 fps (a keyframe every 2 s, as
  streaming encoders make them), photos moving over a background.

Run by run.sh inside the benchmark's virtualenv (Pillow, PyAV) with espeak-ng installed.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from minipdf import pdf  # noqa: E402

PHOTOS = [
    ROOT / "sql-tests/fixtures/images/astronaut.jpg",
    ROOT / "sql-tests/fixtures/images/coffee.jpg",
    ROOT / "sql-tests/fixtures/images/chelsea.jpg",
    ROOT / "demo/media/images/motorcycle.jpg",
    ROOT / "demo/media/images/rocket.jpg",
]

WORDS = {
    "adj": "quiet purple ancient narrow golden silent bright heavy gentle distant frozen busy".split(),
    "noun": "harbor kite library river engine garden station bridge market tower forest lantern".split(),
    "verb": "crossed watched followed reached painted guarded circled lifted carried opened".split(),
    "when": "at dawn|before noon|on friday|after the storm|in the evening|last winter|on sunday "
            "morning|during the festival".split("|"),
}


def sentence(rng):
    a, n, v = rng.choice(WORDS["adj"]), rng.choice(WORDS["noun"]), rng.choice(WORDS["verb"])
    a2, n2 = rng.choice(WORDS["adj"]), rng.choice(WORDS["noun"])
    return f"the {a} {n} {v} the {a2} {n2} {rng.choice(WORDS['when'])}"


def images(out, count):
    rng = random.Random(1)
    out.mkdir(parents=True, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in PHOTOS]
    for i in range(count):
        photo = photos[i % len(photos)]
        w, h = photo.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        size = (500, 375) if i % 4 else (375, 500)
        crop = photo.crop((x, y, x + cw, y + ch)).resize(size, Image.BILINEAR)
        crop.save(out / f"img{i:05d}.jpg", quality=90)


def audio(out, count):
    rng = random.Random(2)
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            text = ". ".join(sentence(rng) for _ in range(1 + i % 3))
            raw = os.path.join(tmp, "raw.wav")
            speed = str(140 + (i * 7) % 40)
            subprocess.run(["espeak-ng", "-s", speed, "-w", raw, text], check=True)
            name = f"clip{i:03d}." + ("wav" if i % 2 == 0 else "mp3")
            if name.endswith(".wav"):
                os.replace(raw, out / name)
            else:
                mp3(raw, out / name)
            truth[name] = text
    (out.parent / "audio_truth.json").write_text(json.dumps(truth, indent=1))


def mp3(wav_path, mp3_path):
    with wave.open(wav_path) as w:
        rate, samples = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    with av.open(str(mp3_path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = 64000
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def documents(out, count):
    rng = random.Random(3)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pages = []
        for _ in range(rng.randint(3, 6)):
            words = " ".join(sentence(rng) + "." for _ in range(rng.randint(12, 18))).split()
            lines, line = [], []
            for word in words:
                line.append(word)
                if len(" ".join(line)) > 70:
                    lines.append(" ".join(line))
                    line = []
            lines.append(" ".join(line))
            pages.append(lines)
        (out / f"doc{i:04d}.pdf").write_bytes(pdf(pages, font_size=11, leading=14, encoding="WinAnsiEncoding"))


def video(out, count):
    rng = random.Random(4)
    out.mkdir(parents=True, exist_ok=True)
    sprites = [Image.open(p).convert("RGB") for p in PHOTOS]
    for i in range(count):
        chosen = [sprites[(i + k) % len(sprites)].resize((256, 192)) for k in range(2)]
        starts = [(rng.randint(0, 384), rng.randint(0, 288)) for _ in chosen]
        speeds = [(rng.uniform(-12, 12), rng.uniform(-8, 8)) for _ in chosen]
        background = Image.new("RGB", (640, 480), tuple(rng.randint(60, 200) for _ in range(3)))
        with av.open(str(out / f"video{i:02d}.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
            stream.options = {"preset": "fast", "x264-params": "keyint=50:min-keyint=50:scenecut=0"}
            for f in range(250):
                canvas = background.copy()
                for sprite, (x0, y0), (dx, dy) in zip(chosen, starts, speeds):
                    x = int(x0 + dx * f / 25 * 4) % 384
                    y = int(y0 + dy * f / 25 * 4) % 288
                    canvas.paste(sprite, (x, y))
                frame = av.VideoFrame.from_image(canvas)
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)


def main():
    out, scale = Path(sys.argv[1]), float(sys.argv[2])
    images(out / "images", round(2000 * scale))
    audio(out / "audio", max(2, round(48 * scale)))
    documents(out / "documents", round(200 * scale))
    video(out / "video", max(2, round(20 * scale)))


if __name__ == "__main__":
    main()
