#!/usr/bin/env python3
"""Builds demo/media, what `mediasql demo` serves: photos of several ImageNet classes, spoken
sentences in four audio formats, PDFs with real text. The files are committed; this script is
their provenance (CI does not run it).

Needs: pip install pillow soundfile; the scikit-image wheel from PyPI (its sample photos, public
domain / CC0: `pip download --no-deps scikit-image`, SKIMAGE_WHEEL=path); espeak-ng (Debian).
"""
import glob, io, os, subprocess, sys, tempfile, zipfile

import soundfile
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from minipdf import pdf

root = os.path.join(os.path.dirname(__file__), "..", "demo", "media")
wheel = os.environ.get("SKIMAGE_WHEEL") or glob.glob("/tmp/skw/scikit_image-*.whl")[0]

# Photos: (sample in the wheel, file name). Longer side at most 640 px, JPEG q85.
PHOTOS = [
    ("chelsea.png", "cat.jpg"),
    ("coffee.png", "coffee.jpg"),
    ("rocket.jpg", "rocket.jpg"),
    ("motorcycle_left.png", "motorcycle.jpg"),
]
os.makedirs(os.path.join(root, "images"), exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for sample, name in PHOTOS:
        image = Image.open(io.BytesIO(z.read(f"skimage/data/{sample}"))).convert("RGB")
        image.thumbnail((640, 640))
        image.save(os.path.join(root, "images", name), "JPEG", quality=85)

# Speech: espeak-ng at 16 kHz, then written in the format each file is named for.
SENTENCES = {
    "harbor.wav": "seven purple kites flew over the quiet harbor at dawn",
    "library.mp3": "the library closes at nine on weekdays and at noon on sundays",
    "report.flac": "please send the quarterly report to the sales team before friday",
    "weather.ogg": "tomorrow will be sunny in the morning with rain in the afternoon",
}
os.makedirs(os.path.join(root, "audio"), exist_ok=True)
for name, sentence in SENTENCES.items():
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        subprocess.run(["espeak-ng", "-s", "150", "-w", raw, sentence], check=True)
        samples, rate = soundfile.read(raw)
    fmt = {"wav": "WAV", "mp3": "MP3", "flac": "FLAC", "ogg": "OGG"}[name.rsplit(".", 1)[1]]
    soundfile.write(os.path.join(root, "audio", name), samples, rate, format=fmt)


PDFS = {
    "kites.pdf": [
        ["Seven purple kites flew over the quiet harbor at dawn.",
         "The fishermen stopped to watch them climb above the boats."],
        ["The harbor master counted every kite twice.",
         "By noon the wind had carried them out to sea."],
    ],
    "espresso.pdf": [
        ["Espresso is brewed by forcing hot water through finely ground coffee.",
         "A good shot takes about twenty-five seconds and has a thick crema."],
        ["Milk is steamed to about sixty degrees for a cappuccino.",
         "Clean the group head of the machine after every session."],
    ],
    "rockets.pdf": [
        ["A rocket carries its own oxidiser, so it can fly beyond the atmosphere.",
         "Most launch vehicles burn in stages and drop each empty stage."],
        ["Astronauts train for years before their first flight.",
         "The crew checks the weather and the fuel levels before launch."],
    ],
}
os.makedirs(os.path.join(root, "pdfs"), exist_ok=True)
for name, pages in PDFS.items():
    with open(os.path.join(root, "pdfs", name), "wb") as f:
        f.write(pdf(pages, font_size=12, leading=16, encoding="WinAnsiEncoding"))
print("demo media written to", os.path.abspath(root))

# Video: the motorcycle, then the cat, 3 s each at 25 fps, 640x480 (letterboxed), H.264 in MP4
# with the header first (needs the ffmpeg command).
os.makedirs(os.path.join(root, "videos"), exist_ok=True)
scene = "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25"
images = os.path.join(root, "images")
subprocess.run([
    "ffmpeg", "-loglevel", "error", "-y",
    "-loop", "1", "-t", "3", "-i", os.path.join(images, "motorcycle.jpg"),
    "-loop", "1", "-t", "3", "-i", os.path.join(images, "cat.jpg"),
    "-filter_complex", f"[0]{scene}[a];[1]{scene}[b];[a][b]concat=n=2:v=1[v]",
    "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p",
    "-x264-params", "keyint=25:min-keyint=25:scenecut=0", "-movflags", "+faststart",
    os.path.join(root, "videos", "street.mp4"),
], check=True)
