"""glibc allocator settings for local runs (``pipelines.memory``): freed heap memory
goes back to the system, in the runner and, when asked, through the worker site in each worker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

from pipelines import direct_runner, memory
from pipelines.clean_dedup import SEEDS_DIR

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code: str, env: dict[str, str]) -> str:
    base = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", memory.TRIM_ENV)}
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                               env={**base, **env}, check=True, cwd=_REPO)
    return completed.stdout.strip()


def test_trimming_gives_freed_heap_memory_back_to_the_system():
    # Blocks below glibc's mmap threshold come from the heap; freed below a block still in
    # use, they stay in the process until trimmed.
    code = """
        from pipelines.memory import trim_freed_memory
        def rss():
            return next(int(line.split()[1]) >> 10 for line in open("/proc/self/status") if line.startswith("VmRSS"))
        blocks = [bytearray(64 << 10) for _ in range(3000)]
        last = blocks[-1]
        del blocks
        freed = rss()
        print(trim_freed_memory(), freed, rss())
    """
    took, before, after = _python(code, {"PYTHONPATH": _REPO}).split()
    assert took == "True"  # glibc (Linux)
    assert int(before) - int(after) > 150  # MB: most of the 190 MB freed


def test_trimming_runs_in_a_thread_only_inside_the_block():
    def trimmers():
        return {thread for thread in threading.enumerate() if thread.name == "cleanwire-trim"}

    for thread in trimmers():  # stopped ones of earlier runs in this process end at once
        thread.join(timeout=5)
    with memory.trimming(0.01):
        (started,) = trimmers()
    started.join(timeout=5)
    assert not started.is_alive()
    with memory.trimming(0):  # 0 turns it off
        assert trimmers() == set()


def test_the_worker_site_starts_trimming_only_when_the_user_asks_for_it():
    code = """
        import threading
        print(any(thread.name == "cleanwire-trim" for thread in threading.enumerate()))
    """
    site = os.pathsep.join([direct_runner.WORKER_SITE, _REPO])
    assert _python(code, {"PYTHONPATH": site, memory.TRIM_ENV: "0.5"}) == "True"
    assert _python(code, {"PYTHONPATH": site, memory.TRIM_ENV: "0"}) == "False"
    assert _python(code, {"PYTHONPATH": site}) == "False"
    for unusable in ("soon", "nan", "inf", "-1"):  # off, without a crash
        assert _python(code, {"PYTHONPATH": site, memory.TRIM_ENV: unusable}) == "False"


def test_a_local_run_trims_the_runners_memory_while_it_runs(tmp_path, monkeypatch):
    from pipelines.clean_dedup import run

    started = []

    def recording(interval: float = memory.TRIM_SECONDS):
        stop = original(interval)
        started.append((interval, stop))
        return stop

    original = memory.start_trimming
    monkeypatch.setattr(memory, "start_trimming", recording)
    assert run([str(SEEDS_DIR / "*.txt"), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    assert [interval for interval, _ in started] == [memory.TRIM_SECONDS]
    assert started[0][1].is_set()  # stopped when the run ended
