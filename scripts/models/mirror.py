"""Fills a mirror of the models' public homes: every download pinned in the manifest, under
DIR/<host>/<path> of its URL, verified by sha256. Serve DIR over HTTP and point
MEDIASQL_MODELS_MIRROR at it to install on a machine that reaches only that server (an offline
network, a container build, the installer's test).

usage: mirror.py DIR [--manifest FILE] [--only NAME,...]

Downloads that cannot be reached are reported and skipped; the exit status is 0 if every
reachable one verified.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fetch import FetchError, download, sha256_of  # noqa: E402
from install import REPO, load_manifest  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--manifest", default=os.path.join(REPO, "udfs/src/models/manifest.toml"))
    parser.add_argument("--only", help="comma-separated model names (runtimes always)")
    args = parser.parse_args()
    manifest = load_manifest(args.manifest, args.only)
    pinned = [d for m in manifest["model"] for d in m.get("downloads", [])]
    pinned += [d for r in manifest.get("runtime", []) for d in r["downloads"]]
    missing = []
    for item in pinned:
        host_path = item["url"].split("://", 1)[1]
        dest = os.path.join(args.dir, host_path)
        if os.path.exists(dest) and sha256_of(dest) == item["sha256"]:
            continue
        try:
            got = download(item["url"], item["sha256"], os.path.join(args.dir, ".downloads"),
                           host_path)
        except FetchError as e:
            missing.append(str(e))
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.exists(dest):
            os.remove(dest)
        os.link(got, dest)
    for line in missing:
        print(f"not mirrored: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
