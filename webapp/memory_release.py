"""Free heap memory handed back to the operating system after a request.

glibc keeps memory a request freed in its heap when a live block sits above it, so one large
upload or a script's large result leaves a worker's resident memory high for its whole life.
`malloc_trim(0)` returns every free page of every arena; it costs microseconds when there is
nothing to return and about a tenth of a millisecond after a large request. Elsewhere than
glibc (macOS, musl) there is no such call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _malloc_trim() -> Any | None:
    """glibc's malloc_trim, or None when the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system; whether the C library could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
