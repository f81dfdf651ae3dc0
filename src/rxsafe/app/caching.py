"""Memoisation on the request path: resolutions of recurring texts, and whole check results.

Both are pure functions of their keys (the knowledge base is read-only for the life of the process), so a cached
answer is exactly the answer that would be computed again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Generic, TypeVar

from rxsafe.core.models import PrescriptionLine, Resolution, ResolvedAllergen
from rxsafe.matching.port import Resolver

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class CachingResolver:
    """A ``Resolver`` that remembers: a patient's 20 recorded medications are resolved once, not on every check."""

    def __init__(self, inner: Resolver, maxsize: int = 65536) -> None:
        self.inner = inner
        self.resolve_line: Callable[[PrescriptionLine], Resolution] = lru_cache(maxsize)(inner.resolve_line)
        self.resolve_text: Callable[[str], Resolution] = lru_cache(maxsize)(inner.resolve_text)
        self.resolve_allergen: Callable[[str], ResolvedAllergen] = lru_cache(maxsize)(inner.resolve_allergen)


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU map with a size bound."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)


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
