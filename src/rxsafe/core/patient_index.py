"""The patient's interaction graph, built once per patient context and kept: what checking a new line needs.

A context is one record version on one date (the application keeps it while the record does not change). Against
it, what a new line meets among the recorded medications depends only on the line's ingredient and its index:
the interactions, duplicate therapies and allergy conflicts toward the record are worked out the first time an
ingredient is seen for the patient, and a later prescription holding it costs a dictionary lookup instead of a
scan of the medication list (a 200-medication record has 200 recorded occurrences per new ingredient).

Pure: a memo of pure functions of (context, knowledge, policy), like the knowledge's own pair memo. The same
inputs give the same conflicts, as the same objects.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from rxsafe.core.checks.occurrence import Occurrence, medication_entry, recorded_occurrences
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import ActiveMedication, Conflict, PatientContext, RecordEntry
from rxsafe.core.policy import Policy

T = TypeVar("T")

# Memory, measured with tracemalloc: a conflict kept here costs ~5 KB with its wire and stored forms (made once
# per conflict object, rxsafe.memo.WeakIdentityMemo). The indexes together keep at most MAX_HELD_CONFLICTS
# (~80 MB over RSS after start ~295 MB; the budget is 400 MB), the least recently used patient's index going
# first. A 20-medication patient's graph holds a few hundred to ~2,000 conflicts; a 200-medication one ~11,000
# for 16 drugs at 5 line positions (with 8,000 it thrashed: 36 ms a check instead of 11).
MAX_HELD_CONFLICTS = 16_000
# Patient indexes kept at most (each keeps its context alive).
MAX_INDEXES = 64
# Conflicts interned per patient (patient-level conflicts, which every check builds anew).
_MAX_INTERNED = 256
# Conflicts with a value derived per object (``per_conflict``): the graph's own (a 200-medication prescription
# meets ~660) and each check's fresh patient-level ones, which fill it until it is cleared. With half the budget
# here, RSS grew 132 MB over 2,000 distinct checks (`make bench --quick`); the fresh ones kept tiered copies alive.
_MAX_PER_CONFLICT = 2048


class PatientIndex:
    """The recorded side of every check, for one (context, knowledge, policy): built lazily, then kept."""

    def __init__(self, context: PatientContext, knowledge: Knowledge, policy: Policy) -> None:
        self.context = context
        self.knowledge = knowledge
        self.policy = policy
        self.recorded: tuple[Occurrence, ...] = tuple(recorded_occurrences(context))
        self.recorded_inns: frozenset[str] = frozenset(o.inn for o in self.recorded)
        self._entries: dict[int, RecordEntry] = {}
        # Least recently used first; each value with the conflicts it holds.
        self._derived: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._interned: dict[str, Conflict] = {}
        self._per_conflict: dict[int, tuple[Conflict, Conflict]] = {}
        self._lock = threading.Lock()
        # Conflicts held by the derived values and the interned ones (the memory budget counts these).
        self.held = 0

    def entry(self, medication: ActiveMedication) -> RecordEntry:
        """The report's record entry for a recorded medication, made once."""
        found = self._entries.get(id(medication))
        if found is None:
            found = medication_entry(medication)
            self._entries[id(medication)] = found  # the context holds the medication, so its id stays its own
        return found

    def intern(self, conflict: Conflict) -> Conflict:
        """An equal conflict found by an earlier check of the patient, or this one (kept for later checks).

        Patient-level conflicts (dose, STOPP) are built anew by every check; one object per distinct conflict lets
        what is derived from a conflict (its wire and stored forms) be made once.
        """
        found = self._interned.get(conflict.id)
        if found is conflict or (found is not None and found == conflict):
            return found
        with self._lock:
            if len(self._interned) >= _MAX_INTERNED:
                self.held -= len(self._interned)
                self._interned.clear()
            self._interned[conflict.id] = conflict
            self.held += 1
        return conflict

    def per_conflict(self, conflict: Conflict, derive: Callable[[Conflict], Conflict]) -> Conflict:
        """``derive(conflict)`` once per conflict object (the graph's conflicts recur as the same objects).

        For what the engine adds to every conflict after the checks (its display tier): a new object each time
        would make every conflict new again for what is derived from it downstream.
        """
        found = self._per_conflict.get(id(conflict))
        if found is not None and found[0] is conflict:
            return found[1]
        value = derive(conflict)
        with self._lock:
            if len(self._per_conflict) >= _MAX_PER_CONFLICT:
                self.held -= len(self._per_conflict)
                self._per_conflict.clear()
            self._per_conflict[id(conflict)] = (conflict, value)  # the key object is kept, so its id stays its own
            self.held += 1
        return value

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` remembered under ``key`` (which must name everything the value depends on but the index).

        Checks use it for what a new ingredient meets in the record: ``("interaction", inn, line_index)``.
        """
        with self._lock:
            found = self._derived.get(key)
            if found is not None:
                self._derived.move_to_end(key)
                return found[0]  # type: ignore[return-value]  # each key's caller stores one type
        value = compute()
        size = _conflicts_in(value)
        with self._lock:
            if key not in self._derived:
                self._derived[key] = (value, size)
                self.held += size
            # Over the budget alone (a very long record): the least recently used values go; forgetting one only
            # costs computing it again.
            while self.held > MAX_HELD_CONFLICTS and len(self._derived) > 1:
                _, (_, dropped) = self._derived.popitem(last=False)
                self.held -= dropped
        return value


def at_line(
    conflict: Conflict, line_index: int, conflict_id_of: Callable[[Conflict, tuple[int, ...]], str]
) -> Conflict:
    """A conflict between a new line and the record, moved to another line index (its id follows the index).

    What a new ingredient meets in the record is worked out once per ingredient; the same ingredient on another
    line differs only in its line index and the id made from it (the texts name the ingredient, not the line).
    """
    lines = (line_index,)
    if conflict.line_indexes == lines:
        return conflict
    return conflict.model_copy(update={"line_indexes": lines, "id": conflict_id_of(conflict, lines)})


def _conflicts_in(value: object) -> int:
    """How many conflicts a derived value holds (tuples of conflicts, or of tuples that hold one), roughly."""
    if isinstance(value, Conflict):
        return 1
    if isinstance(value, tuple):
        return sum(_conflicts_in(v) for v in value if isinstance(v, (Conflict, tuple)))
    return 0


_lock = threading.Lock()
# Least recently used first.
_indexes: OrderedDict[int, PatientIndex] = OrderedDict()


def patient_index(context: PatientContext, knowledge: Knowledge, policy: Policy) -> PatientIndex:
    """The index of this context object with this knowledge and policy, made on first use.

    Keyed by identity: the application hands the same context object to every check of one record version, and
    the index keeps the context alive, so its ``id()`` is not reused while the entry exists.
    """
    with _lock:
        found = _indexes.get(id(context))
        if found is not None and found.context is context and found.knowledge is knowledge and found.policy is policy:
            _indexes.move_to_end(id(context))
            _within_budget()
            return found
    index = PatientIndex(context, knowledge, policy)
    with _lock:
        _indexes[id(context)] = index
        _within_budget()
    return index


def _within_budget() -> None:
    """Drops the least recently used indexes beyond MAX_INDEXES or MAX_HELD_CONFLICTS (caller holds the lock)."""
    held = sum(index.held for index in _indexes.values())
    while len(_indexes) > 1 and (len(_indexes) > MAX_INDEXES or held > MAX_HELD_CONFLICTS):
        _, dropped = _indexes.popitem(last=False)
        held -= dropped.held
