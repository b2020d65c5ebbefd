#!/usr/bin/env python3
"""Regenerates sql-tests/fixtures (provenance; the files are committed, CI does not run this).

Needs: Pillow, the scikit-image wheel's sample photos (SKIMAGE_DATA=dir with chelsea.png ...),
espeak-ng, sox and lame.
"""
import os, subprocess, sys
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(__file__))
from minipdf import pdf

root = os.path.join(os.path.dirname(__file__), "..", "sql-tests", "fixtures")
data = os.environ.get("SKIMAGE_DATA", "/tmp/skx/skimage/data")
img = os.path.join(root, "images")

def jpeg(name, out, quality=90, mirror=False):
    im = Image.open(os.path.join(data, name)).convert("RGB")
    if mirror:
        im = ImageOps.mirror(im)
    im.save(os.path.join(img, out), "JPEG", quality=quality)

jpeg("chelsea.png", "chelsea.jpg")
jpeg("chelsea.png", "chelsea_mirror.jpg", mirror=True)
jpeg("coffee.png", "coffee.jpg")
jpeg("astronaut.png", "astronaut.jpg", quality=85)
Image.open(os.path.join(data, "camera.png")).save(os.path.join(img, "camera.png"), optimize=True)
# Corrupt: a JPEG start-of-image marker followed by bytes that are no JPEG segment.
with open(os.path.join(img, "corrupt.jpg"), "wb") as f:
    f.write(b"\xff\xd8\xff" + bytes(range(7, 250)) * 8)

SENTENCE = "seven purple kites flew over the quiet harbor at dawn"
audio = os.path.join(root, "audio")
raw = os.path.join(audio, "raw.wav")
subprocess.run(["espeak-ng", "-w", raw, SENTENCE], check=True)
subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", os.path.join(audio, "harbor.wav")], check=True)
os.remove(raw)
subprocess.run(["lame", "--quiet", "-b", "64", os.path.join(audio, "harbor.wav"), os.path.join(audio, "harbor.mp3")], check=True)
with open(os.path.join(audio, "corrupt.wav"), "wb") as f:
    f.write(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(200))

with open(os.path.join(root, "pdf", "harbor.pdf"), "wb") as f:
    f.write(pdf([["Seven purple kites flew over the quiet harbor at dawn."],
                 ["The harbor master counted every kite twice."]]))
with open(os.path.join(root, "pdf", "corrupt.pdf"), "wb") as f:
    f.write(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n" + bytes(64))
print("fixtures written to", os.path.abspath(root))

# Broken files of every kind, each cut from a good fixture above (on_error tests).
broken = os.path.join(root, "broken")
os.makedirs(broken, exist_ok=True)

def cut(src, out, fraction):
    with open(os.path.join(root, src), "rb") as f:
        data = f.read()
    with open(os.path.join(broken, out), "wb") as f:
        f.write(data[: int(len(data) * fraction)])

cut("images/coffee.jpg", "truncated.jpg", 0.5)    # decodes half a picture without an EOI marker
cut("images/camera.png", "truncated.png", 0.5)    # IDAT cut short, no IEND
cut("audio/harbor.mp3", "truncated.mp3", 0.02)    # an MP3 header and less than one frame
cut("audio/harbor.wav", "truncated.wav", 0.0003)  # a RIFF header cut inside the fmt chunk
cut("pdf/harbor.pdf", "truncated.pdf", 0.5)       # objects without xref or trailer
open(os.path.join(broken, "empty.jpg"), "wb").close()
open(os.path.join(broken, "empty.wav"), "wb").close()
with open(os.path.join(broken, "text.wav"), "w") as f:
    f.write("this is a text file, not audio\n")
print("broken fixtures written to", os.path.abspath(broken))

# Video: two scenes of 2 s each (chelsea, then coffee) at 25 fps, 480x320, H.264 in MP4 with
# the header first (faststart) and a keyframe every second; and a copy cut at 60%, which keeps
# the header and the first scene's frames (needs the ffmpeg command).
video = os.path.join(root, "video")
os.makedirs(video, exist_ok=True)
scene = "scale=480:320:force_original_aspect_ratio=decrease,pad=480:320:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25"
subprocess.run([
    "ffmpeg", "-loglevel", "error", "-y",
    "-loop", "1", "-t", "2", "-i", os.path.join(img, "chelsea.jpg"),
    "-loop", "1", "-t", "2", "-i", os.path.join(img, "coffee.jpg"),
    "-filter_complex", f"[0]{scene}[a];[1]{scene}[b];[a][b]concat=n=2:v=1[v]",
    "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "medium",
    "-x264-params", "keyint=25:min-keyint=25:scenecut=0", "-movflags", "+faststart",
    os.path.join(video, "scenes.mp4"),
], check=True)
cut("video/scenes.mp4", "truncated.mp4", 0.6)

# A video with speech: chelsea for 3.3 s at 10 fps with harbor.wav as its AAC audio track.
subprocess.run([
    "ffmpeg", "-loglevel", "error", "-y",
    "-loop", "1", "-t", "3.3", "-i", os.path.join(img, "chelsea.jpg"),
    "-i", os.path.join(audio, "harbor.wav"),
    "-vf", "scale=320:-2,fps=10", "-c:v", "libx264", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-shortest", "-movflags", "+faststart",
    os.path.join(video, "talk.mp4"),
], check=True)
