"""Run a command and measure its wall time and peak memory (all its processes).

Peak RSS is the largest *sum* of resident memory over the process and all its
descendants, sampled every 0.2 s from /proc (Linux), because Beam's multi-processing
runner and datatrove's executor both run work in child processes.  The command's own
process's peak is kept too: for cleanwire that is Beam's runner, which holds the
collections between stages.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass

__all__ = ["Measured", "measure"]


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str
    peak_main_rss_mb: float = 0.0  # the command's own process (not its children)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree_rss_kb(root: int) -> tuple[int, int]:
    """``(RSS of root and all its descendants, RSS of root alone)`` in KB."""
    tree, total, own, stack = _children(), 0, 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        kb = int(line.split()[1])
                        total += kb
                        own = kb if pid == root else own
                        break
        except OSError:
            pass
    return total, own


def measure(command: list[str], env: dict | None = None, cwd: str | None = None) -> Measured:
    """Run ``command``; return its wall time, peak tree RSS (MB), exit code and output."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd)
    peak = peak_main = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_main
        while not done.is_set():
            total, own = _tree_rss_kb(process.pid)
            peak, peak_main = max(peak, total), max(peak_main, own)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    done.set()
    sampler.join()
    return Measured(time.perf_counter() - start, peak / 1024.0, process.returncode, output, peak_main / 1024.0)
