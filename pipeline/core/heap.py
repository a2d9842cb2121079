"""Memory handed back to the system.

glibc keeps the blocks a program frees for its own reuse, in every thread's
arena; after a large piece of work whose objects are all gone (a model let go,
a book chapter's reader page and its reading aids made and written), the
next piece's allocations land between them and the process's resident size
keeps the high-water mark of both. :func:`return_freed_memory` collects the
garbage and asks glibc to give the free pages back (``malloc_trim``), so a
run's peak is that of its largest piece, not their accumulated spread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc


def return_freed_memory() -> None:
    """Collect garbage and hand free heap pages back to the system (a no-op where
    the C library is not glibc)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to hand back
        pass
