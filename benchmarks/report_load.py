"""Time how long headless Chromium takes to load and lay out a report page.

    python benchmarks/report_load.py OUT/report.html [--runs 5]

A harness page (written to a temporary directory) loads the report in an iframe and
measures, with ``performance.now()``, the time from setting the iframe's address to its
``load`` event plus a forced layout of the whole page (reading ``scrollHeight``), i.e.
parse, style and layout: what a person waits for before the page can be scrolled.
Chromium's own start-up is not counted.  Prints one line per run and the median, in ms.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

_HARNESS = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" style="width:1280px;height:2000px"></iframe>
<script>
const frame = document.getElementById("f");
let start = 0;
frame.onload = () => {
  const height = frame.contentDocument.documentElement.scrollHeight;  // forces style and layout
  const ms = performance.now() - start;
  document.getElementById("out").textContent = "LOADED " + ms.toFixed(1) + " ms height " + height;
};
start = performance.now();
frame.src = "REPORT";
</script></body></html>"""


def measure(report: Path, chromium: str) -> tuple[float, int]:
    """Load ``report`` once in a fresh headless Chromium: (milliseconds, page height)."""
    with tempfile.TemporaryDirectory() as tmp:
        harness = Path(tmp) / "harness.html"
        harness.write_text(_HARNESS.replace("REPORT", report.resolve().as_uri()))
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             "--dump-dom", harness.as_uri()],
            capture_output=True, text=True, timeout=120,
        ).stdout
    found = re.search(r"LOADED ([0-9.]+) ms height (\d+)", dom)
    if not found:
        raise SystemExit(f"the harness did not report a load time; chromium printed: {dom[:300]!r}")
    return float(found.group(1)), int(found.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="the report.html to load")
    parser.add_argument("--runs", type=int, default=5, help="fresh browser loads to time (default %(default)s)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    times = []
    for run in range(args.runs):
        ms, height = measure(args.report, chromium)
        times.append(ms)
        print(f"run {run + 1}: {ms:.1f} ms (page height {height} px)")
    print(f"median {statistics.median(times):.1f} ms over {args.runs} runs; {args.report.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
