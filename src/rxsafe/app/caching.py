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
