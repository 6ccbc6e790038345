"""The C heap under Python: give freed pages back to the system, so a build's peak memory is its live data.

CPython hands blocks over 512 bytes to glibc's malloc, which keeps freed pages for reuse: after
a render stage writes thousands of few-kB files, or once a large string (the feed, the event
manifest, a table's record) is freed, the process stays as large as its busiest moment. Both
calls here are glibc's (``malloc_trim``, ``mallopt``); on another C library they do nothing.
"""

from __future__ import annotations

import functools
from typing import Any

M_MMAP_THRESHOLD = -3  # mallopt's parameter, glibc malloc.h
LARGE = 8 << 20  # blocks from 8 MB up are mapped apart; 128 kB cost +0.7 s of page faults at 10,000 episodes


def give_back() -> None:
    """Hand the heap's free pages back after a render stage (about 20 MB of a cold 10k build's peak)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def return_large_blocks() -> None:
    """Have glibc map every block over :data:`LARGE` apart and unmap it when freed, for the whole process.

    By default glibc raises its threshold at the first such free, and from then on each large
    string grows the heap, whose top stays until a trim: about 25 MB of a cold 10k build's peak.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, LARGE)


@functools.cache
def _libc() -> Any:
    """The process's C library, loaded once and only by a build that has work to do (not a no-op)."""
    import ctypes

    return ctypes.CDLL(None)
