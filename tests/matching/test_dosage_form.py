"""Dosage-form families and when a written form rules a known brand out."""

from __future__ import annotations

import pytest

from rxsafe.matching.dosage_form import FormFamily, form_families, forms_contradict

ORAL, SKIN, INJECTION = FormFamily.ORAL, FormFamily.SKIN, FormFamily.INJECTION


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("Viên nén bao phim", {ORAL}),
        ("tab", {ORAL}),
        ("Thuốc bột pha tiêm", {INJECTION}),
        ("Dung dịch tiêm truyền", {INJECTION}),
        ("Gel bôi da", {SKIN}),
        ("Kem bôi ngoài da", {SKIN}),
        ("Viên nén đặt âm đạo", {FormFamily.VAGINAL_RECTAL}),
        ("Dung dịch nhỏ mắt", {FormFamily.EYE}),
        ("Thuốc xịt mũi", {FormFamily.NOSE}),
        ("inhal powd", {FormFamily.INHALED}),
        ("Gel uống", {SKIN, ORAL}),
        ("Kẽm gluconat 70mg", set()),  # kẽm is zinc, kem is cream
        ("Dung dịch", set()),
        ("", set()),
    ],
)
def test_families(text: str, families: set[FormFamily]) -> None:
    assert form_families(text) == families


def test_contradiction_needs_every_known_form_to_disagree() -> None:
    assert forms_contradict(frozenset({SKIN}), ["Thuốc tiêm", "Dung dịch tiêm"])
    assert not forms_contradict(frozenset({SKIN}), ["Thuốc tiêm", "Gel"])
    assert not forms_contradict(frozenset({SKIN}), ["Thuốc tiêm", "Dung dịch"])  # unknown route: could be it
    assert not forms_contradict(frozenset(), ["Thuốc tiêm"])  # nothing written, nothing contradicted
    assert not forms_contradict(frozenset({ORAL}), [])
