"""Turns the raw results of scripts/bench into tables, target checks and a chart.

    report.py rust --out DIR      criterion estimates + openssl speed + peak memory -> DIR/rust.json,
                                  and prints the Rust table
    report.py summary --out DIR --chart SVG [--update-docs]
                                  every DIR/<language>.json -> the summary against the targets,
                                  DIR/report.md, the SVG chart; --update-docs rewrites the part
                                  of docs/benchmarks.md between its RESULTS markers

Standard library only (runs in the tools virtualenv).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["1k", "16k", "256k", "4m"]
LABEL = {"1k": "1 KiB", "16k": "16 KiB", "256k": "256 KiB", "4m": "4 MiB"}
STAGES = ["decrypt (whole)", "decrypt (watched)", "envelope parse", "base64 decode", "AEAD open", "payload check"]
#: Rust targets of issue 7.
RUST_DECRYPT_1K_US = 2.0
# kompliant-webhooks/edge, measured in Deno and Bun (tests/bench/bench_edge.mjs) and in workerd
# (bench_edge_workerd.mjs); issue 17. The Deno and Bun runs also weigh what a deployment ships
# of the core (the .wasm and its glue), gzipped.
EDGE = ("edge-deno", "edge-bun", "edge-workerd")
# The many-small-objects shape (fixtures/people) of the languages that run it (issue 16).
PEOPLE = ("python-people", "node-people")
EDGE_SHIPPED_KIB = 300
MEMORY_RATIO = 3.0


def criterion(out: Path, stage: str, size: str) -> Dict[str, float]:
    base = ROOT / "target" / "criterion" / f"core_{size}" / stage / "new"
    est = json.loads((base / "estimates.json").read_text())
    sample = json.loads((base / "sample.json").read_text())
    per_iter = sorted(t / i for t, i in zip(sample["times"], sample["iters"]))
    bench = json.loads((base / "benchmark.json").read_text())
    nbytes = bench["throughput"]["Bytes"]
    median_ns = est["median"]["point_estimate"]
    return {
        "median_us": median_ns / 1e3,
        "p10_us": per_iter[len(per_iter) // 10] / 1e3,
        "p90_us": per_iter[(len(per_iter) * 9) // 10] / 1e3,
        "bytes": nbytes,
        "gbps": nbytes / median_ns,  # bytes per ns = GB/s
    }


def openssl(out: Path) -> Dict[str, float]:
    """`openssl speed -evp aes-256-gcm -bytes N` lines → GB/s per block size."""
    result: Dict[str, float] = {}
    sizes = {16384: "16k", 262144: "256k", 4194304: "4m"}
    lines = (out / "openssl.txt").read_text().split("\n")
    for (nbytes, name), line in zip(sizes.items(), [l for l in lines if l.strip()]):
        value = line.split()[-1]
        kbps = float(value.rstrip("k"))  # 1000s of bytes per second
        result[name] = kbps * 1000 / 1e9
    return result


def rust(out: Path) -> None:
    stages = {stage: {size: criterion(out, stage, size) for size in SIZES} for stage in STAGES}
    ssl = openssl(out)
    memory = json.loads((out / "memory.json").read_text())
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    combined = {}
    for size in SIZES:
        b64, aead = stages["base64 decode"][size], stages["AEAD open"][size]
        # AEAD + base64 over the decoded bytes: both stages back to back.
        combined[size] = aead["bytes"] / ((b64["median_us"] + aead["median_us"]) * 1e3)
    data = {
        "language": f"Rust core ({platform.machine()})",
        "stages": stages,
        "aead_plus_base64_gbps": combined,
        "openssl_speed_gbps": ssl,
        "openssl_version": version,
        "memory": memory,
    }
    (out / "rust.json").write_text(json.dumps(data, indent=2))
    print(f"\nRust core: median µs (p10-p90) and throughput per stage; {version}")
    print(f"{'stage':<18}" + "".join(f"{LABEL[s]:>26}" for s in SIZES))
    for stage in STAGES:
        cells = []
        for size in SIZES:
            r = stages[stage][size]
            cells.append(f"{fmt_us(r['median_us'])} ({fmt_us(r['p10_us'])}-{fmt_us(r['p90_us'])}) {r['gbps']:.2f}GB/s")
        print(f"{stage:<18}" + "".join(f"{c:>26}" for c in cells))
    print(f"{'AEAD+base64':<18}" + "".join(f"{combined[s]:>23.2f}GB/s" for s in SIZES))
    print(f"{'openssl speed':<18}" + "".join(f"{(ssl.get(s, float('nan'))):>23.2f}GB/s" for s in SIZES))
    print(f"{'peak memory':<18}" + "".join(f"{memory[s]['ratio']:>22.2f}x body" for s in SIZES))


def fmt_us(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.2f}ms"
    if us >= 100:
        return f"{us:.0f}µs"
    return f"{us:.2f}µs"


def load(out: Path) -> Dict[str, Dict[str, Any]]:
    return {name: json.loads((out / f"{name}.json").read_text())
            for name in ("rust", "python", "node", "kotlin", "swift") + PEOPLE + EDGE if (out / f"{name}.json").exists()}


def checks(results: Dict[str, Dict[str, Any]]) -> List[Tuple[str, str, Optional[bool], str]]:
    """(language, what, met?, detail) for every target; met None: reported only."""
    rows: List[Tuple[str, str, Optional[bool], str]] = []
    if "rust" in results:
        r = results["rust"]
        d1k = r["stages"]["decrypt (whole)"]["1k"]["median_us"]
        rows.append(("rust", "decrypt of a 1 KiB webhook ≤ 2 µs", d1k <= RUST_DECRYPT_1K_US, f"{d1k:.2f} µs"))
        for size in ["16k", "256k", "4m"]:
            ours, ssl = r["aead_plus_base64_gbps"][size], r["openssl_speed_gbps"].get(size)
            if ssl:
                rows.append(("rust", f"AEAD+base64 ≥ openssl speed at {LABEL[size]}", ours >= ssl,
                             f"{ours:.2f} vs {ssl:.2f} GB/s ({ours / ssl:.2f}x)"))
        m = r["memory"]["4m"]
        rows.append(("rust", "peak memory of a 4 MiB decrypt ≤ 3x body", m["ratio"] <= MEMORY_RATIO,
                     f"{m['ratio']:.2f}x ({m['peak_bytes'] / 2**20:.1f} MiB for a {m['body_bytes'] / 2**20:.1f} MiB body)"))
    # Swift's file has no "targets": its ratios are reported, not checked.
    for lang in ("python", "node", "kotlin", "swift") + PEOPLE + EDGE:
        if lang not in results:
            continue
        r = results[lang]
        for ratio_name, by_size in r.get("ratios", {}).items():
            targets = r.get("targets", {}).get(ratio_name, {})
            for size in SIZES:
                if size not in by_size:
                    continue
                target = targets.get(size)
                value = by_size[size]
                what = f"{ratio_name} at {LABEL[size]}" + (f" ≥ {target}x" if target else " (reported, no target)")
                rows.append((lang, what, None if target is None else value >= target, f"{value:.2f}x"))
        shipped = r.get("shipped")
        if shipped:
            kib = shipped["wasm_plus_glue_gzip_kib"]
            rows.append((lang, f"wasm + glue gzipped < {EDGE_SHIPPED_KIB} KiB", kib < EDGE_SHIPPED_KIB, f"{kib:.1f} KiB"))
        leak = r.get("leak")
        if leak:
            rows.append((lang, f"RSS flat over {leak['iterations']:,} decrypts", leak["growth_mb"] < 10,
                         f"{leak['rss_mb_after_warmup']:.1f} → {leak['rss_mb_end']:.1f} MB ({leak['growth_mb']:+.1f})"))
    return rows


def language_table(name: str, r: Dict[str, Any]) -> List[str]:
    """Markdown: per size, each implementation's median (p10-p90) and the ratios."""
    impls = list(r["median_us"].keys())
    shape = ", many small objects (fixtures/people)" if name in PEOPLE else ""
    lines = [f"**{r['language']}{shape}**", "",
             "| payload | " + " | ".join(impls) + " | " + " | ".join(r.get("ratios", {}).keys()) + " |",
             "|---|" + "---|" * (len(impls) + len(r.get("ratios", {})))]
    for size in SIZES:
        cells = [f"{fmt_us(r['median_us'][i][size])} ({fmt_us(r['p10_us'][i][size])}–{fmt_us(r['p90_us'][i][size])})"
                 for i in impls]
        ratios = []
        for ratio_name, by_size in r.get("ratios", {}).items():
            target = r.get("targets", {}).get(ratio_name, {}).get(size)
            mark = "" if target is None else (" ✓" if by_size[size] >= target else f" ✗ (target {target}x)")
            ratios.append(f"{by_size[size]:.2f}x{mark}")
        lines.append(f"| {LABEL[size]} | " + " | ".join(cells + ratios) + " |")
    lines.append("")
    for impl, what in r.get("implementations", {}).items():
        lines.append(f"- `{impl}`: {what}")
    return lines + [""]


def rust_table(r: Dict[str, Any]) -> List[str]:
    lines = [f"**{r['language']}** (criterion; medians, 10th–90th percentile, throughput; {r['openssl_version']})", "",
             "| stage | " + " | ".join(LABEL[s] for s in SIZES) + " |", "|---|" + "---|" * len(SIZES)]
    for stage in STAGES:
        cells = [f"{fmt_us(v['median_us'])} ({fmt_us(v['p10_us'])}–{fmt_us(v['p90_us'])}), {v['gbps']:.2f} GB/s"
                 for v in (r["stages"][stage][s] for s in SIZES)]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append("| AEAD + base64 | " + " | ".join(f"{r['aead_plus_base64_gbps'][s]:.2f} GB/s" for s in SIZES) + " |")
    lines.append("| `openssl speed -evp aes-256-gcm` | – | " + " | ".join(
        f"{r['openssl_speed_gbps'][s]:.2f} GB/s" for s in ["16k", "256k", "4m"]) + " |")
    lines.append("| peak heap during `decrypt` | " + " | ".join(
        f"{r['memory'][s]['ratio']:.2f}× body" for s in SIZES) + " |")
    return lines + [""]


def chart(results: Dict[str, Dict[str, Any]], path: Path) -> None:
    """Latency by payload size, log-log, SDK (solid) vs hand-written (dashed), per language."""
    series: List[Tuple[str, str, bool, List[float]]] = []  # (label, colour, sdk?, medians)
    colours = {"python": "#3572A5", "node": "#3c873a", "kotlin": "#A97BFF", "swift": "#F05138", "rust": "#B7410E"}
    baseline_of = {"python": ["cryptography", "orjson"], "node": ["handwritten"], "kotlin": ["handwritten+jackson"],
                   "swift": ["handwritten+jsonserialization"]}
    sdk_of = {"python": "sdk", "node": "sdk", "kotlin": "sdk+jackson", "swift": "sdk+jsonserialization"}
    names = {"python": "Python", "node": "Node", "kotlin": "Kotlin", "swift": "Swift"}
    base_label = {"cryptography": " (cryptography)", "orjson": " (orjson)", "handwritten": "",
                  "handwritten+jackson": " + Jackson", "handwritten+jsonserialization": " + JSONSerialization"}
    sdk_label = {"python": "", "node": "", "kotlin": " + Jackson", "swift": " + JSONSerialization"}
    for lang, r in results.items():
        if lang in EDGE + PEOPLE:
            continue  # tables only: the chart compares each language's SDK with its hand-written receiver
        if lang == "rust":
            series.append(("Rust core decrypt", colours[lang], True,
                           [r["stages"]["decrypt (whole)"][s]["median_us"] for s in SIZES]))
            continue
        series.append((f"{names[lang]} SDK{sdk_label[lang]}", colours[lang], True,
                       [r["median_us"][sdk_of[lang]][s] for s in SIZES]))
        for base in baseline_of[lang]:
            if base in r["median_us"]:
                series.append((f"{names[lang]} hand-written{base_label.get(base, ' (' + base + ')')}", colours[lang],
                               False, [r["median_us"][base][s] for s in SIZES]))
    if not series:
        return
    w, h, left, right, top, bottom = 900, 460, 70, 300, 30, 50
    values = [v for _, _, _, vs in series for v in vs if v > 0]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    def x(i: int) -> float:
        return left + i * (w - left - right) / (len(SIZES) - 1)
    def y(v: float) -> float:
        return top + (hi - math.log10(v)) * (h - top - bottom) / (hi - lo)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">Median latency per webhook (µs, log scale) by payload size</text>']
    for e in range(lo, hi + 1):
        yy = y(10 ** e)
        svg.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{w - right}" y2="{yy:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 8}" y="{yy + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
    for i, s in enumerate(SIZES):
        svg.append(f'<text x="{x(i):.1f}" y="{h - bottom + 20}" text-anchor="middle">{LABEL[s]}</text>')
    for n, (label, colour, sdk, vs) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs))
        dash = "" if sdk else ' stroke-dasharray="6,4"'
        svg.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for i, v in enumerate(vs):
            svg.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + n * 20
        svg.append(f'<line x1="{w - right + 15}" y1="{ly}" x2="{w - right + 45}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
        svg.append(f'<text x="{w - right + 52}" y="{ly + 4}">{label}</text>')
    svg.append("</svg>")
    path.write_text("\n".join(svg) + "\n")


def summary(out: Path, chart_path: Path, update_docs: bool) -> int:
    results = load(out)
    rows = checks(results)
    lines = [f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.", ""]
    if "rust" in results:
        lines += rust_table(results["rust"])
    for lang in ("python", "node", "kotlin", "swift") + PEOPLE + EDGE:
        if lang in results:
            lines += language_table(lang, results[lang])
    lines += ["**Targets**", "", "| language | target | result | met |", "|---|---|---|---|"]
    for lang, what, met, detail in rows:
        lines.append(f"| {lang} | {what} | {detail} | {'reported' if met is None else ('yes' if met else '**no**')} |")
    report = "\n".join(lines) + "\n"
    (out / "report.md").write_text(report)
    chart(results, chart_path)
    print("\n== bench summary ==")
    for lang, what, met, detail in rows:
        status = "    " if met is None else ("PASS" if met else "MISS")
        print(f"{status} {lang:<7} {what}: {detail}")
    print(f"tables: {out / 'report.md'}; chart: {chart_path}")
    if update_docs:
        docs = ROOT / "docs" / "benchmarks.md"
        text = docs.read_text()
        begin, end = "<!-- RESULTS BEGIN (scripts/bench --update-docs) -->", "<!-- RESULTS END -->"
        if begin not in text or end not in text:
            print(f"error: {docs} has no RESULTS markers", file=sys.stderr)
            return 1
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        docs.write_text(head + begin + "\n" + report + end + tail)
        print(f"updated {docs}")
    return 0


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(re.findall(r"^processor", Path("/proc/cpuinfo").read_text(), re.M)) if Path("/proc/cpuinfo").exists() else "?"
    return f"{cpu}, {cores} cores, {platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["rust", "summary"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chart", type=Path)
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    if args.what == "rust":
        rust(args.out)
        return 0
    return summary(args.out, args.chart or args.out / "benchmarks.svg", args.update_docs)


if __name__ == "__main__":
    sys.exit(main())
