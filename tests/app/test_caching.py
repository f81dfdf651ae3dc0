"""Request-path memoisation helpers: per-object memos and content keys."""

from __future__ import annotations

from rxsafe.memo import ContentKey, IdentityMemo


def test_identity_memo_works_once_per_object() -> None:
    calls: list[object] = []

    def work(obj: list[int]) -> int:
        calls.append(obj)
        return sum(obj)

    memo = IdentityMemo(work)
    a, b = [1, 2, 3], [1, 2, 3]  # equal, not the same object
    assert (memo(a), memo(a), memo(b)) == (6, 6, 6)
    assert len(calls) == 2


def test_content_keys_are_equal_for_equal_values_only() -> None:
    assert ContentKey((1, "a")) == ContentKey((1, "a"))
    assert ContentKey((1, "a")) != ContentKey((1, "b"))
    assert len({ContentKey((1, "a")), ContentKey((1, "a"))}) == 1
