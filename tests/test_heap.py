"""Freed memory goes back to the system: a large string, once dropped, no longer counts in the process."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from podops import heap

def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

if sys.argv[1] == "large":
    heap.return_large_blocks()
first = b"x" * (16 << 20)  # glibc's own rule: freeing a mapped block raises its threshold to that size
del first
base = rss_kb()
feed = b"x" * (12 << 20)  # a feed-sized string made after that
del feed
if sys.argv[1] == "trim":
    heap.give_back()
print(rss_kb() - base)
"""


def grown(mode: str) -> int:
    """How many kB a process still holds after making and dropping a 12 MB string."""
    done = subprocess.run([sys.executable, "-c", PROBE, mode], check=True, capture_output=True, text=True)
    return int(done.stdout)


def test_by_default_glibc_keeps_a_freed_large_string() -> None:
    assert grown("default") > 8 << 10  # what the two calls below are for


def test_large_blocks_are_mapped_apart_and_returned_when_freed() -> None:
    assert grown("large") < 4 << 10


def test_a_trim_gives_back_what_the_heap_kept() -> None:
    assert grown("trim") < 4 << 10
