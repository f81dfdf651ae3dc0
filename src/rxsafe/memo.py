"""Memos keyed by object identity, for every layer.

A memoised check result is handed out as the same objects, so what is derived from it (its stored body, its alert
counts, its content key) is worked out once per object. No rxsafe imports: the application, the record store and
the edge all use it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")


class IdentityMemo(Generic[T, V]):
    """``fn(obj)`` remembered per object: the same object again (a conversion memo hands it out) costs a lookup.

    The object is kept with its value, so its ``id()`` cannot be reused while the entry exists.
    """

    def __init__(self, fn: Callable[[T], V], maxsize: int = 256) -> None:
        self._fn = fn
        self.maxsize = maxsize
        self._data: dict[int, tuple[T, V]] = {}
        self._lock = threading.Lock()

    def __call__(self, obj: T) -> V:
        with self._lock:
            hit = self._data.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = self._fn(obj)
        with self._lock:
            if len(self._data) >= self.maxsize:
                self._data.clear()
            self._data[id(obj)] = (obj, value)
        return value


class ContentKey:
    """A value as a dict key, hashed once: hashing and comparing a whole patient record costs ~0.5 ms a check.

    >>> ContentKey((1, 2)) == ContentKey((1, 2)), hash(ContentKey("a")) == hash("a")
    (True, True)
    """

    __slots__ = ("_hash", "value")

    def __init__(self, value: Hashable) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentKey):
            return NotImplemented
        return self.value is other.value or (self._hash == other._hash and self.value == other.value)


class WeakIdentityMemo(Generic[T, V]):
    """``fn(obj)`` remembered while ``obj`` lives: for values derived from objects that other memos keep.

    Check results share their conflicts (core.patient_index keeps them per patient), so a conflict's wire and
    stored forms are made once per conflict, not once per report. Unlike :class:`IdentityMemo` it holds no
    reference: an entry goes when its object is collected, so this memo never decides what stays in memory.

    >>> class Box:
    ...     pass
    >>> memo = WeakIdentityMemo(lambda box: "made once")
    >>> box = Box()
    >>> memo(box), len(memo)
    ('made once', 1)
    >>> del box; len(memo)
    0
    """

    def __init__(self, fn: Callable[[T], V]) -> None:
        self._fn = fn
        self._data: dict[int, tuple[weakref.ref[T], V]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def __call__(self, obj: T) -> V:
        key = id(obj)
        hit = self._data.get(key)  # a dict read is atomic under the GIL; writes take the lock
        if hit is not None and hit[0]() is obj:
            return hit[1]
        value = self._fn(obj)
        data, lock = self._data, self._lock

        def forget(ref: weakref.ref[T]) -> None:
            with lock:
                entry = data.get(key)
                if entry is not None and entry[0] is ref:
                    del data[key]

        with lock:
            data[key] = (weakref.ref(obj, forget), value)
        return value
