from __future__ import annotations

from rxsafe.matching.line_parser import clean_name, parse_line


def _names(text: str) -> list[tuple[str, str | None]]:
    return [(p.name, p.strength.text if p.strength else None) for p in parse_line(text).names]


def test_brand_in_brackets_and_strength() -> None:
    parsed = parse_line("Amoxicilin 500mg (Hagimox)")
    assert _names("Amoxicilin 500mg (Hagimox)") == [("Amoxicilin", "500mg")]
    assert [p.name for p in parsed.bracket] == ["Hagimox"]


def test_dose_tails_are_removed() -> None:
    assert _names("Paracetamol 500mg x 2 viên/lần") == [("Paracetamol", "500mg")]
    assert _names("Omeprazol 20mg SL: 10 viên") == [("Omeprazol", "20mg")]
    assert _names("Cefuroxim 500mg ngày 2 lần") == [("Cefuroxim", "500mg")]
    assert _names("Vitamin C 500mg uống sau ăn") == [("Vitamin C", "500mg")]


def test_forms_and_routes_are_removed() -> None:
    assert _names("Ceftriaxon 1g bột pha tiêm, tiêm tĩnh mạch") == [("Ceftriaxon", "1g")]
    assert _names("Amoxicillin 500 mg viên nang cứng") == [("Amoxicillin", "500 mg")]
    assert clean_name("Hagimox 500 caplet") == "Hagimox"


def test_combination_with_strengths_pairs_by_position() -> None:
    assert _names("Amoxicilin 875mg + Acid clavulanic 125mg") == [
        ("Amoxicilin", "875mg"),
        ("Acid clavulanic", "125mg"),
    ]
    assert _names("Amoxicilin + Acid clavulanic 875mg + 125mg") == [
        ("Amoxicilin", "875mg"),
        ("Acid clavulanic", "125mg"),
    ]
    assert _names("Sulfamethoxazol/Trimethoprim 400mg/80mg") == [
        ("Sulfamethoxazol", "400mg"),
        ("Trimethoprim", "80mg"),
    ]


def test_salt_clause_is_dropped() -> None:
    parsed = parse_line("Amlodipin (dưới dạng Amlodipin besilat) 5mg")
    assert _names("Amlodipin (dưới dạng Amlodipin besilat) 5mg") == [("Amlodipin", "5mg")]
    assert parsed.bracket == ()


def test_brand_with_combination_strengths_keeps_them_loose() -> None:
    parsed = parse_line("Augmentin 875mg/125mg")
    assert [p.name for p in parsed.names] == ["Augmentin"]
    assert [s.value for s in parsed.strengths] == [875.0, 125.0]


def test_concentration_is_one_strength() -> None:
    assert _names("Amoxicilin 250mg/5ml hỗn dịch") == [("Amoxicilin", "250mg/5ml")]


def test_commas_separate_ingredients_but_not_decimals() -> None:
    p = parse_line("Metronidazol 500mg, nystatin 100.000UI, Betamethason 0,25 mg")
    assert [n.name for n in p.names] == ["Metronidazol", "nystatin", "Betamethason"]
    assert [n.strength.value if n.strength else None for n in p.names] == [500.0, 100000.0, 0.25]


def test_label_and_form_after_brand_are_dropped() -> None:
    p = parse_line("Mỗi gói chứa: Paracetamol 150mg; Clorpheniramin maleat 1mg (Paracold Flu) Thuốc cốm sủi bọt")
    assert [n.name for n in p.names] == ["Paracetamol", "Clorpheniramin maleat"]
    assert [n.name for n in p.bracket] == ["Paracold Flu"]


def test_strength_after_the_brand_still_counts() -> None:
    p = parse_line("Amoxicilin (Hagimox) 500mg")
    assert p.names[0].strength is not None and p.names[0].strength.value == 500.0


def test_kem_is_cream_but_kem_with_tilde_is_zinc() -> None:
    assert [n.name for n in parse_line("Kẽm gluconat 70mg").names] == ["Kẽm gluconat"]
    assert [n.name for n in parse_line("Clotrimazol 1% kem").names] == ["Clotrimazol"]


def test_hyphenated_number_stays_in_the_brand() -> None:
    assert clean_name("Stalevo-5") == "Stalevo-5"
    assert clean_name("Hagimox 500 caplet") == "Hagimox"
