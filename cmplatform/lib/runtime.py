"""Python runtime settings for bulk work on millions of small objects.

* :func:`fast_pickle` — a frozen, slotted dataclass pickles as its class and a tuple of its
  field values. The default for such classes goes through ``dataclasses.fields`` once per
  object on both sides, which made unpickling a normalised chunk (100k records, each holding
  a few nested values) cost the importing process about 40 µs a record; this is half that.
* :func:`relaxed_gc` — raises the garbage collector's thresholds while a bulk job runs. A
  chunk's records hold no reference cycles (refcounting frees them), but with the default
  thresholds the cyclic collector rescans every live record again and again as a chunk is
  assembled: measured at a fifth of normalising time and half of unpickling time.
* :func:`freeze_after_startup` — a server process moves what it imported at startup (Django,
  every view, the normalisers' tables) out of the collector's sight: a full collection of that
  heap took 42 ms in the middle of a list's count (one request in twenty at 1M persons).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import operator
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# Young-generation allocations between collections, then how many young collections between
# middle ones, and middle ones between full ones (CPython's defaults: 700, 10, 10).
BULK_THRESHOLDS = (50_000, 20, 100)


def fast_pickle(cls: type[T]) -> type[T]:
    """Class decorator: pickle the dataclass ``cls`` as ``cls(*field values)``. Only for
    classes whose ``__init__`` takes every field positionally (no ``init=False`` fields)."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2 or any(not f.init for f in dataclasses.fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: fast_pickle needs two or more init fields.")
    values = operator.attrgetter(*names)

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


_lock = threading.Lock()
_active = 0  # bodies of relaxed_gc running (imports on the threads of one worker process)
_previous = gc.get_threshold()


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Run the body with :data:`BULK_THRESHOLDS`, the objects alive on entry moved out of the
    collector's sight (``gc.freeze``). The settings are the process's: the last body to end,
    of those running on its threads, restores the previous ones."""
    global _active, _previous
    with _lock:
        if _active == 0:
            _previous = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*BULK_THRESHOLDS)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_previous)
                gc.unfreeze()


def relax_gc_for_process() -> None:
    """:func:`relaxed_gc` for the rest of a process that only does bulk work (a worker)."""
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)


def freeze_after_startup() -> None:
    """For a long-running server process, once its application is built: import every view
    (the URL configuration), collect, and freeze what is left, so that later full collections
    scan only what requests allocate."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the views)
    gc.collect()
    gc.freeze()
