"""Writes the peers benchmark's RESULTS.md (a table per workload and the run's context) and its
chart (results.svg: one group of bars per workload, each system's throughput as a fraction of
the limit) from bench.py's record. `notes.md` beside this file (the why of each gap, written
by hand) is appended. `report.py RECORD.json` rewrites both from a run's record."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = {"limit": "limit (model alone)", "plain": "plain Python", "daft": "Daft",
         "ray": "Ray Data", "mediasql": "mediasql", "mediasql-psql": "mediasql over psql",
         "mediasql-release": "mediasql (release build)"}
COLOURS = {"limit": "#9e9e9e", "plain": "#f2b134", "daft": "#4a90d9", "ray": "#8e63c7",
           "mediasql": "#2e9e5b", "mediasql-psql": "#7cc79a", "mediasql-release": "#1b5e37"}
TITLES = {"images": "decode, resize, crop, EfficientNet-Lite0, top-1 label",
          "audio": "decode, resample to 16 kHz, whisper tiny.en",
          "documents": "PDF text, chunks of 200 characters, all-MiniLM-L6-v2",
          "video": "frames at 1 fps, YOLOX-nano, count per label"}
UNITS = {"images": "images", "audio": "clips", "documents": "PDFs", "video": "frames"}


def rate(record, workload, system):
    w = record["workloads"][workload]
    run = w["runs"].get(system, {})
    return w["items"] / run["seconds"] if "seconds" in run else None


def table(record, workload):
    w = record["workloads"][workload]
    limit = rate(record, workload, "limit")
    lines = [f"### {workload}: {TITLES[workload]}", "",
             f"{w['items']} {UNITS[workload]}.", "",
             f"| system | seconds | {UNITS[workload]}/s | of the limit | peak RSS (MiB) | check |",
             "|---|---|---|---|---|---|"]
    for system, run in w["runs"].items():
        if "seconds" not in run:
            lines.append(f"| {NAMES[system]} | failed | | | | {run['error']} |")
            continue
        r = rate(record, workload, system)
        ratio = f"{r / limit:.2f}" if limit else ""
        verdict = "agrees" if run.get("check") is None else f"**differs**: {run['check']}"
        if "wer" in run:
            verdict += f" (WER {run['wer']:.2f})"
        rss = f"{run['rss'] / 2**20:.0f}"
        if system == "limit":
            rss += " (its inputs mapped in)"
        lines.append(f"| {NAMES[system]} | {run['seconds']:.2f} | {r:.2f} | {ratio} | "
                     f"{rss} | {verdict} |")
    return "\n".join(lines)


def write(record, md_path, svg_path):
    scale = "a tenth of the full size (`--quick`)" if record["quick"] else "full size"
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    head = [
        "# Peers benchmark: mediasql, Daft, Ray Data and plain Python on the same media",
        "",
        f"Written by `benches/peers/run.sh{' --quick' if record['quick'] else ''}` on "
        f"{record['date']}, {scale}, in {record['minutes']:.1f} minutes. Machine: "
        f"{record['machine']}. Versions: {versions}.",
        "",
        "Each system runs in its own process, timed from process start to exit (model load "
        "inside), with the same model files, 2 threads for the models and mediasql's batch "
        f"sizes; times and peak RSS are medians of {record.get('repeat', 1)} runs, the "
        "systems taking turns. The limit is the model alone on inputs made beforehand. Peak RSS is the "
        "process and its children (Ray's workers included). Each system's answers are "
        "checked against plain Python's (labels, chunk counts, detection counts; transcripts "
        "by word error rate against the spoken text).",
        "",
        f"![throughput as a fraction of the limit]({svg_path.name})",
        "",
    ]
    body = [table(record, w) + "\n" for w in record["workloads"]]
    notes = (HERE / "notes.md").read_text() if (HERE / "notes.md").exists() else ""
    md_path.write_text("\n".join(head + body) + "\n" + notes)
    svg_path.write_text(chart(record))


def chart(record):
    workloads = list(record["workloads"])
    systems = [s for s in NAMES if any(s in record["workloads"][w]["runs"] for w in workloads)]
    bar, gap, left, top, height = 18, 36, 60, 40, 260
    group = bar * len(systems) + gap
    width = left + group * len(workloads) + 20
    top_ratio = 1.2
    y = lambda r: top + height - min(r, top_ratio) / top_ratio * height  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 110}"'
           ' font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">Throughput as a fraction of the model alone '
           f'(higher is better){" — quick run" if record["quick"] else ""}</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{left - 4}" x2="{width - 20}" y1="{y(tick):.1f}" '
                   f'y2="{y(tick):.1f}" stroke="{"#444" if tick == 1 else "#ddd"}"/>')
        out.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for g, workload in enumerate(workloads):
        x0 = left + g * group + gap / 2
        limit = rate(record, workload, "limit")
        for i, system in enumerate(systems):
            r = rate(record, workload, system)
            if r is None or not limit:
                continue
            x = x0 + i * bar
            out.append(f'<rect x="{x:.1f}" y="{y(r / limit):.1f}" width="{bar - 2}" '
                       f'height="{top + height - y(r / limit):.1f}" fill="{COLOURS[system]}"/>')
            out.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{y(r / limit) - 3:.1f}" '
                       f'text-anchor="middle" font-size="8">{r / limit:.2f}</text>')
        out.append(f'<text x="{x0 + bar * len(systems) / 2:.1f}" y="{top + height + 16}" '
                   f'text-anchor="middle">{workload}</text>')
        out.append(f'<text x="{x0 + bar * len(systems) / 2:.1f}" y="{top + height + 30}" '
                   f'text-anchor="middle" fill="#666">limit {limit:.1f} '
                   f'{UNITS[workload]}/s</text>' if limit else "")
    for i, system in enumerate(systems):
        x, yy = left + (i % 3) * 200, top + height + 52 + (i // 3) * 18
        out.append(f'<rect x="{x}" y="{yy - 10}" width="12" height="12" '
                   f'fill="{COLOURS[system]}"/><text x="{x + 18}" y="{yy}">{NAMES[system]}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    # `report.py RECORD.json`: rewrites RESULTS.md and results.svg here from a full run's
    # record (after editing notes.md, say).
    import json
    import sys

    write(json.loads(Path(sys.argv[1]).read_text()), HERE / "RESULTS.md", HERE / "results.svg")
