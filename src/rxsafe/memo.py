"""Memos keyed by object identity, for every layer.

A memoised check result is handed out as the same objects, so what is derived from it (its stored body, its alert
counts, its content key) is worked out once per object. No rxsafe imports: the application, the record store and
the edge all use it.
"""

from __future__ import annotations

import threading
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
