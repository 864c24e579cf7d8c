"""The worker hands memory a request freed back to the system (gunicorn.conf.py's post_request)."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# 180 MB in blocks below glibc's mmap threshold, one more block after them keeping the heap's
# top in use: freeing the first ones does not shrink the process until the heap is trimmed.
_FRAGMENTED_HEAP = """
from pathlib import Path
from webapp.memory_release import release_free_memory

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

blocks = [bytearray(60_000) for _ in range(3_000)]
pin = bytearray(60_000)
del blocks
freed = rss_mb()
released = release_free_memory()
print(freed, rss_mb(), released)
"""


def test_freed_heap_memory_goes_back_to_the_system():
    out = subprocess.run(  # noqa: S603 - this test's own program
        [sys.executable, "-c", _FRAGMENTED_HEAP],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"MALLOC_ARENA_MAX": "2", "PYTHONPATH": str(ROOT)},
    ).stdout.split()
    freed, after, released = float(out[0]), float(out[1]), out[2]
    assert released == "True"
    assert freed - after > 150, (
        f"resident {freed:.0f} MB after freeing, {after:.0f} MB after release"
    )


def test_gunicorn_releases_memory_after_each_request(monkeypatch):
    calls = []
    monkeypatch.setattr("webapp.memory_release.release_free_memory", lambda: calls.append(1))
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    settings["post_request"](None, None, {}, None)
    assert calls == [1]
