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


def pdf(pages):
    """A minimal, valid PDF: lines of Helvetica text on each page, with an exact xref table."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        # A trailing space keeps the lines apart in extracted text.
        shown = " T* ".join(f"({line} )Tj" for line in lines)
        stream = f"BT /F1 12 Tf 16 TL 72 720 Td {shown} ET".encode()
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
        content = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


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
        f.write(pdf(pages))
print("demo media written to", os.path.abspath(root))
