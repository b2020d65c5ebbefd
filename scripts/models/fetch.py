"""Downloads that never leave a partial or unverified file where a model is looked for.

A download goes to `<dir>/.downloads/<sha256>.part`; an interrupted one is resumed with an HTTP
Range request where the server allows it (206) and restarted otherwise (200). Only a file whose
sha256 is the pinned one is moved (atomically, with os.replace) to its final name.
"""
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request

CHUNK = 1 << 20


class FetchError(Exception):
    """A download failed or gave bytes other than the pinned ones."""


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def mirrored(url):
    """`url` under $MEDIASQL_MODELS_MIRROR when set: https://host/path -> MIRROR/host/path.

    A mirror is any HTTP server holding the same files under the upstream hosts' names (the
    installer's test and scripts/docker-check.sh start one on loopback)."""
    mirror = os.environ.get("MEDIASQL_MODELS_MIRROR", "").rstrip("/")
    if not mirror:
        return url
    scheme, sep, rest = url.partition("://")
    return f"{mirror}/{rest}" if sep else url


class Progress:
    """One line per file: updated in place on a terminal, every 25% otherwise."""

    def __init__(self, label, total):
        self.label, self.total = label, total
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.next_quarter = 25

    def show(self, done):
        mb, total_mb = done / 1e6, (self.total or 0) / 1e6
        pct = int(100 * done / self.total) if self.total else 0
        if self.tty:
            sys.stderr.write(f"\r  {self.label}: {mb:.1f}/{total_mb:.1f} MB ({pct}%)")
            sys.stderr.flush()
        elif self.total and pct >= self.next_quarter and pct < 100:
            print(f"  {self.label}: {pct}% of {total_mb:.1f} MB", flush=True)
            self.next_quarter = (pct // 25 + 1) * 25

    def finish(self, done):
        secs = max(time.monotonic() - self.started, 1e-3)
        if self.tty:
            sys.stderr.write("\n")
        print(f"  {self.label}: {done / 1e6:.1f} MB in {secs:.1f} s", flush=True)


def download(url, sha256, downloads, label, retries=3):
    """The verified file at `downloads/<sha256>`, fetched from `url` if not there yet."""
    os.makedirs(downloads, exist_ok=True)
    done_path = os.path.join(downloads, sha256)
    if os.path.exists(done_path) and sha256_of(done_path) == sha256:
        return done_path
    part = done_path + ".part"
    source = mirrored(url)
    print(f"downloading {label} from {source}", flush=True)
    last_error = None
    for attempt in range(retries):
        try:
            _transfer(source, part, label)
            break
        except urllib.error.HTTPError as e:
            if e.code < 500:
                raise FetchError(f"{label}: {source} answered {e.code} {e.reason}") from e
            last_error = e
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            last_error = e
        print(f"  {label}: {last_error}; trying again", flush=True)
        time.sleep(min(2**attempt, 5))
    else:
        kept = f" (the {os.path.getsize(part)} bytes kept in {part} are resumed next time)" \
            if os.path.exists(part) else ""
        raise FetchError(f"{label}: download from {source} failed: {last_error}{kept}")
    got = sha256_of(part)
    if got != sha256:
        os.remove(part)
        raise FetchError(f"{label}: {source} gave a file with sha256 {got}, but the manifest "
                         f"pins {sha256}; nothing was installed")
    os.replace(part, done_path)
    return done_path


def _transfer(url, part, label):
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "mediasql-install-models"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            # Range beyond the end: the part is already whole (or wrong); the hash decides.
            return
        raise
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored Range: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length else None
        progress = Progress(label, total)
        with open(part, "ab" if have else "wb") as out:
            done = have
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                out.write(block)
                done += len(block)
                progress.show(done)
        if total is not None and done < total:
            raise ConnectionError(f"connection closed after {done} of {total} bytes")
        progress.finish(done)
