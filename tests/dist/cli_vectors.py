"""Conformance vectors through a `kompliant decrypt` binary, run where the binary runs.

    cli_vectors.py stage VECTORS DIR   writes DIR/cases/<n>/{keys.json,body,expect} and DIR/run.sh
    cli_vectors.py check DIR           compares what run.sh recorded; prints "passed/total"

run.sh (plain sh, no Python needed where it runs: the emulated arm64 root, a bare container)
takes the binary's path and, for every case, records stdout, stderr and the exit status. Every
case without receiver options is used (options have no CLI spelling for every one of them):
an accepted case must print the exact payload followed by one newline and exit 0; a refused one
must exit non-zero with `error: <CODE>:` on stderr.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

RUN_SH = """#!/bin/sh
# Runs `$1 decrypt --keys keys.json body` for every case directory; records out, err, status.
bin=$1
cd "$(dirname "$0")/cases" || exit 1
for d in */; do
  d=${d%/}
  "$bin" decrypt --keys "$d/keys.json" "$d/body" >"$d/out" 2>"$d/err"
  echo $? >"$d/status"
done
"""


def stage(vectors: Path, out: Path) -> None:
    cases = [c for c in json.loads(vectors.read_text())["cases"] if not c.get("options")]
    for n, case in enumerate(cases):
        d = out / "cases" / f"{n:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "keys.json").write_text(json.dumps(case["keyring"]))
        (d / "body").write_bytes(base64.b64decode(case["body_b64"]))
        expect = case["expect"]
        if "error" in expect:
            (d / "expect").write_text("error " + expect["error"])
        else:
            (d / "expect").write_bytes(b"ok " + base64.b64decode(expect["payload_b64"]))
        (d / "name").write_text(case["name"])
    (out / "run.sh").write_text(RUN_SH)
    (out / "run.sh").chmod(0o755)


def check(out: Path) -> int:
    dirs = sorted(p for p in (out / "cases").iterdir() if p.is_dir())
    passed = 0
    for d in dirs:
        expect = (d / "expect").read_bytes()
        status = (d / "status").read_text().strip() if (d / "status").exists() else "missing"
        stdout = (d / "out").read_bytes() if (d / "out").exists() else b""
        stderr = (d / "err").read_text(errors="replace") if (d / "err").exists() else ""
        if expect.startswith(b"ok "):
            ok = status == "0" and stdout == expect[3:] + b"\n"
        else:
            code = expect[6:].decode()
            ok = status not in ("0", "missing") and f"error: {code}:" in stderr
        if ok:
            passed += 1
        else:
            print(f"cli vector {(d / 'name').read_text()}: expected {expect[:40]!r}, status {status}, "
                  f"stderr {stderr[:200]!r}", file=sys.stderr)
    print(f"{passed}/{len(dirs)}")
    return 0 if passed == len(dirs) else 1


if __name__ == "__main__":
    if sys.argv[1] == "stage":
        stage(Path(sys.argv[2]), Path(sys.argv[3]))
        sys.exit(0)
    sys.exit(check(Path(sys.argv[2])))
