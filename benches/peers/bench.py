"""Runs the peers benchmark: every system on every workload, each in its own process (so its
peak memory is its own), timed from process start to exit; checks each system's answers
against the others; writes RESULTS.md and results.svg beside this file.

`bench.py DATA WORK MEDIASQL_BINARY [--quick] [--only WORKLOAD,...] [--systems SYSTEM,...]`
(run.sh makes the data, the environment and the binary first).
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

import report

HERE = Path(__file__).resolve().parent
WORKLOADS = ["images", "audio", "documents", "video"]
SYSTEMS = ["limit", "plain", "daft", "ray", "mediasql", "mediasql-psql"]
# With --release-binary: the same query on a release build (`cargo build --release`).
RELEASE = "mediasql-release"
UNITS = {"images": "images", "audio": "clips", "documents": "PDFs", "video": "frames"}

SQL = {
    "images": "SELECT path, classify(content)['label'] AS label FROM read_media('{dir}')",
    "audio": "SELECT path, transcribe(content) AS text FROM read_media('{dir}')",
    "documents": (
        "SELECT path, count(e) AS chunks FROM (SELECT path, embed_text(chunk) AS e FROM "
        "(SELECT path, unnest(chunk_text(regexp_replace(pdf_text(content), '\\s+', ' ', 'g'), "
        "200, 20)) AS chunk FROM read_media('{dir}'))) GROUP BY path"
    ),
    "video": (
        "SELECT d['label'] AS label, count(*) AS n FROM (SELECT unnest(detect_objects(image)) "
        "AS d FROM video_frames('{dir}', 1)) GROUP BY 1"
    ),
}


def measure(command, env, log):
    """Runs `command`; returns (seconds, peak RSS in bytes of it and all its descendants)."""
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = psutil.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            rss = 0
            try:
                for p in [proc] + proc.children(recursive=True):
                    rss += p.memory_info().rss
            except psutil.Error:
                pass
            peak = max(peak, rss)
            time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({proc.returncode}); see {log}")
    return seconds, peak


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(system, workload, data, work, binary, out, release_binary=None):
    py = [sys.executable, "-u"]
    if system == "limit":
        return py + [str(HERE / "limit.py"), "run", workload, str(work / "prep"), str(out)]
    if system in ("plain", "daft", "ray"):
        script = {"plain": "plain.py", "daft": "daft_run.py", "ray": "ray_run.py"}[system]
        return py + [str(HERE / script), workload, str(data), str(out)]
    sql = SQL[workload].format(dir=data / workload)
    if system == RELEASE:
        binary, system = release_binary, "mediasql"
    if system == "mediasql":
        copy = f"COPY ({sql}) TO '{out}.csv' STORED AS CSV"
        return [str(binary), "query", "--cache-dir", "none", copy]
    # The same query over the wire: the server's start, the client's connection and the rows
    # through psql are all inside the time.
    port, config = free_port(), work / "mediasql.toml"
    config.write_text('auth = "trust"\n')
    script = f"""
    "{binary}" serve --config "{config}" --cache-dir none --listen 127.0.0.1:{port} \\
      --media-root "{data}" &
    server=$!
    until psql -h 127.0.0.1 -p {port} -U mediasql -Atc 'SELECT 1' >/dev/null 2>&1; do
      kill -0 $server 2>/dev/null || exit 1
      sleep 0.02
    done
    psql -h 127.0.0.1 -p {port} -U mediasql -v ON_ERROR_STOP=1 --csv -c "{sql}" -o "{out}.csv"
    status=$?
    kill $server; wait $server
    exit $status
    """
    return ["bash", "-c", script]


def mediasql_result(workload, csv_path):
    rows = list(csv.DictReader(open(csv_path)))
    name = lambda r: os.path.basename(r["path"])  # noqa: E731
    if workload == "images":
        return {"labels": {name(r): r["label"] for r in rows}}
    if workload == "audio":
        return {"texts": {name(r): r["text"] for r in rows}}
    if workload == "documents":
        return {"chunks": {name(r): int(r["chunks"]) for r in rows}}
    return {"labels": {r["label"]: int(r["n"]) for r in rows}}


def run_workload(workload, systems, data, work, binary, env, repeat, release_binary=None):
    """Every system on `workload`, `repeat` rounds, the systems taking turns in each round
    (so that a slow minute of the machine falls on all of them); medians are kept."""
    out_dir = work / "results" / workload
    out_dir.mkdir(parents=True, exist_ok=True)
    py = [sys.executable, str(HERE / "limit.py")]
    subprocess.run(py + ["prepare", workload, str(data), str(work / "prep")], env=env, check=True)
    meta = json.loads((work / "prep" / f"{workload}.json").read_text())
    items = meta["frames"] if workload == "video" else len(os.listdir(data / workload))
    runs = {system: {"times": [], "rsss": []} for system in systems}
    for round_ in range(repeat):
        for system in systems:
            run = runs[system]
            if "error" in run:
                continue
            out = out_dir / f"{system}.json"
            cmd = command(system, workload, data, work, binary, out, release_binary)
            print(f"  {workload:9} {system:13} {round_ + 1}/{repeat}", end=" ", flush=True)
            try:
                seconds, rss = measure(cmd, env, out_dir / f"{system}.log")
            except RuntimeError as e:
                print(f"FAILED: {e}")
                run["error"] = str(e)
                continue
            if system.startswith("mediasql"):
                out.write_text(json.dumps(mediasql_result(workload, f"{out}.csv"), indent=1))
            run["result"] = json.loads(out.read_text())
            run["times"].append(seconds)
            run["rsss"].append(rss)
            print(f"{seconds:7.2f} s  {items / seconds:7.2f} {UNITS[workload]}/s  "
                  f"{rss / 2**20:6.0f} MiB", flush=True)
    # The limit's inputs (1.2 GB of image tensors at full size) are made again by each run.
    for made in (work / "prep").glob(f"{workload}.*"):
        made.unlink()
    for run in runs.values():
        if run["times"]:
            run["seconds"] = statistics.median(run["times"])
            run["rss"] = statistics.median(run["rsss"])
    return {"items": items, "runs": runs}


# --- the cross-check -------------------------------------------------------------------------


def words(text):
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def wer(truth, heard):
    a, b = words(truth), words(heard)
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[len(b)] / max(len(a), 1)


def check(workload, result, reference, truth):
    """A line saying whether `result` agrees with the reference system's (plain Python's, or
    the limit's); None when it does, else why not."""
    key = next(iter(reference))
    ours, theirs = result[key], reference[key]
    if workload == "images":
        same = sum(ours.get(k) == v for k, v in theirs.items())
        missing = len(set(theirs) - set(ours))
        ok = same >= 0.98 * len(theirs) and not missing
        return None if ok else f"{same}/{len(theirs)} labels as plain Python's, {missing} missing"
    if workload == "documents":
        differ = [k for k in theirs if ours.get(k) != theirs[k]]
        return None if not differ else f"{len(differ)} files' chunk counts differ"
    if workload == "video":
        total, ref = sum(ours.values()), sum(theirs.values())
        ok = abs(total - ref) <= max(2, 0.02 * ref) and set(ours) == set(theirs)
        return None if ok else f"{total} detections ({sorted(ours)}) against {ref}"
    missing = set(truth) - set(ours)
    mean = sum(wer(truth[k], ours.get(k, "")) for k in truth) / max(len(truth), 1)
    ok = mean <= 0.25 and not missing
    return None if ok else f"word error rate {mean:.2f}, {len(missing)} missing"


def cross_check(workload, record, data):
    runs = record["runs"]
    reference = runs.get("plain", runs.get("limit", {})).get("result")
    truth = {}
    if workload == "audio":
        truth = json.loads((data / "audio_truth.json").read_text())
    for run in runs.values():
        if "result" not in run or reference is None:
            continue
        run["check"] = check(workload, run["result"], reference, truth)
        if workload == "audio":
            texts = run["result"]["texts"]
            run["wer"] = sum(wer(truth[k], texts.get(k, "")) for k in truth) / len(truth)


def versions(binary):
    import importlib.metadata as md

    names = ["daft", "ray", "onnxruntime", "pillow", "pypdf", "av", "pywhispercpp", "tokenizers"]
    found = {n: md.version(n) for n in names}
    rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    found["mediasql"] = f"{rev} (dev build: {binary})"
    found["python"] = platform.python_version()
    return found


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), {psutil.virtual_memory().total / 2**30:.0f} GiB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("binary", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--release-binary", type=Path, default=None,
                        help=f"a release build of mediasql: adds the system {RELEASE}")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds per workload, medians reported (default 3; 1 with --quick)")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(HERE), DAFT_ANALYTICS_ENABLED="0",
               RAY_USAGE_STATS_ENABLED="0", MEDIASQL_LOG="warn")
    known = SYSTEMS + [RELEASE] if args.release_binary else SYSTEMS
    unknown = (set(args.only.split(",")) - set(WORKLOADS)) | (
        set(args.systems.split(",")) - set(known))
    if unknown:
        parser.error(f"unknown {', '.join(sorted(unknown))}: workloads are {', '.join(WORKLOADS)};"
                     f" systems are {', '.join(known)}")
    repeat = args.repeat or (1 if args.quick else 3)
    started = time.time()
    record = {"date": datetime.date.today().isoformat(), "quick": args.quick, "repeat": repeat,
              "machine": machine(), "versions": versions(args.binary), "workloads": {}}
    shutil.rmtree(args.work / "results", ignore_errors=True)
    systems = args.systems.split(",")
    for workload in args.only.split(","):
        print(f"{workload}:", flush=True)
        result = run_workload(workload, systems, args.data, args.work, args.binary, env, repeat,
                              args.release_binary)
        cross_check(workload, result, args.data)
        record["workloads"][workload] = result
    record["minutes"] = (time.time() - started) / 60
    (args.work / "record.json").write_text(json.dumps(record, indent=1, default=str))
    # Only a whole full-size run replaces the results kept in the repository.
    whole = (not args.quick and args.only == ",".join(WORKLOADS) and systems == SYSTEMS
             and repeat >= 3)
    where = HERE if whole else args.work
    report.write(record, where / "RESULTS.md", where / "results.svg")
    print(f"wrote {where / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
