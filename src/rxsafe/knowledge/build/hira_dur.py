"""Korea's national DUR rules (HIRA / MFDS, February 2026): the patient-level rule sets → dur_rules.tsv.

Six of the DUR rule tables concern the patient, not a pair: age contraindications (연령금기), pregnancy
contraindications grades 1 and 2 (임부금기), maximum daily doses (용량주의), maximum durations (투여기간주의),
cautions in the elderly (노인주의) and in breastfeeding (수유부주의). Each row becomes one ``DurRuleRow`` per
component ingredient; a rule written for a combination ("codeine+acetaminophen", "Glimepiride/Metformin")
keeps every component in ``combination`` and applies only to a line that holds them all.

What is read, and how (anything else is left out and logged, never guessed):
- ingredient names: the English column (``igrd_nm``; ``igrd_cd`` where the table swaps them, ``gnrl_nm``),
  bridged to an INN by the vocabulary; "함유제제" (products containing) is dropped from the name;
- ages: ``N 세`` years, ``N 개월`` months; 미만 under N → below N; 이하 at or under N → below N + 1 (the
  completed age is at most N); 이상 at or over N → from N. 39 rows give no unit (all "18", with texts about
  newborns and premature infants): left out, since neither years nor months can be read with confidence;
- a detail text that only lists dosage forms ("서방정", "주사제"), or opens with a form in brackets ("(정제) …"),
  restricts the rule to forms: it goes to ``forms_ko``, with the route families it names in ``routes`` (empty when
  a word is not mapped: the checker then cannot compare a line's form, and says so);
- daily doses (``day_max_admin_cpct_cn``): per component in mg (g, µg converted); where the text gives
  alternatives ("나프록센 1,250mg 또는 나프록센나트륨 1,350mg": base or salt) the first, the base; where it gives
  one maximum per indication, the highest (a dose above it exceeds every indication's maximum); weekly doses,
  IU and drops are not daily masses and are left out;
- Korean detail texts are kept as written (``text_ko``): rxsafe shows them quoted, marked as Korean source text,
  since no reviewed translation exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from rxsafe.knowledge.build.context import BuildContext
from rxsafe.knowledge.build.rows import DurRuleRow, PatientRules, SourceCite

FOLDER = "korea-dur-hira"
SOURCE = "HIRA DUR (Korea)"
CORRECTIONS = "hira-dur"  # the source key of this module's rows in knowledge/corrections.csv
COMBINATION_SEPARATOR = " + "
# The Korean name of each rule set, as the source states it: the level of every row of that table.
LEVEL = {
    "age": "연령금기",
    "pregnancy": "임부금기",
    "daily_dose": "용량주의",
    "duration": "투여기간주의",
    "elderly": "노인주의",
    "lactation": "수유부주의",
}
_PRODUCTS_CONTAINING = "함유제제"
_NUMBER_UNIT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(mg|g|㎍|µg|μg|чg|mcg)(?![a-zA-Z])")
_MG_PER = {"mg": 1.0, "g": 1000.0, "㎍": 0.001, "µg": 0.001, "μg": 0.001, "чg": 0.001, "mcg": 0.001}
_NOT_DAILY_MASS = ("주1회", "IU", "방울", "단위")
# A detail text that is only a list of dosage forms ("정제", "서방정", "구강용겔제, 연고제, 겔제"): the rule is
# restricted to those forms. Korean form words end in 제 (…-form), 정 (tablet), 필름 (film) or 캡슐 (capsule).
_FORM_WORD = re.compile(r"^[가-힣][가-힣 ]{0,12}(?:제|정|필름|캡슐)(?:\([^)]*\))?$")
# A detail text that opens with a form in brackets ("(정제) 6세 미만의 유아에게는 정제가 아닌 액제를 투여할 것"):
# the rule's condition depends on the form, which the text gives in prose.
_FORM_HEAD = re.compile(r"^\(\s*[가-힣 ,]*(?:제|정)")


def contribute(ctx: BuildContext) -> PatientRules:
    """Every patient-level DUR row whose ingredient names bridge to INNs."""
    folder = ctx.sources_dir / FOLDER
    out = PatientRules()
    _age(ctx, folder, out)
    _pregnancy(ctx, folder, out)
    _daily_dose(ctx, folder, out)
    _duration(ctx, folder, out)
    _simple(ctx, folder, out, "elderly", "dur_snctz.tsv", "snctz_cutn_sn", ("igrd_cd", "igrd_nm"))
    _simple(ctx, folder, out, "lactation", "dur_nursw.tsv", "lacp_sn", ("igrd_cd", "igrd_nm"))
    return out


def _records(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            cells = line.rstrip("\n").split("\t")
            yield dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False))


def _english(record: dict[str, str], columns: tuple[str, ...]) -> str:
    """The first column holding a Latin-script name (some tables swap the English and Korean columns)."""
    for column in columns:
        value = record.get(column, "").strip()
        if value and value.isascii():
            return value
    return ""


def _components(ctx: BuildContext, name: str, separator: str = "+") -> tuple[str, ...] | None:
    """The INNs of a rule's ingredient name ("codeine+acetaminophen"), or None when one does not bridge."""
    cleaned = name.replace(_PRODUCTS_CONTAINING, "").strip()
    parts = [p.strip() for p in cleaned.split(separator) if p.strip()]
    inns = [ctx.names.to_inn(p) for p in parts]
    if not parts or any(i is None for i in inns):
        return None
    return tuple(sorted({i for i in inns if i is not None}))


def _rows(  # noqa: PLR0917 -- private, one shape for every table
    out: PatientRules,
    kind: str,
    serial: str,
    inns: tuple[str, ...],
    reference: str,
    level: str,
    **cells: str,
) -> None:
    combination = COMBINATION_SEPARATOR.join(inns) if len(inns) > 1 else ""
    for inn in inns:
        out.dur_rules.append(
            DurRuleRow(
                rule_id=f"hira-dur:{kind}:{serial}:{inn}",
                kind=kind,
                inn=inn,
                combination=combination,
                grade=cells.get("grade", ""),
                limit_mg=cells.get(f"limit_mg:{inn}", ""),
                max_days=cells.get("max_days", ""),
                below_age=cells.get("below_age", ""),
                from_age=cells.get("from_age", ""),
                forms_ko=cells.get("forms_ko", ""),
                routes=routes_of(cells.get("forms_ko", "")),
                text_ko=cells.get("text_ko", ""),
                source=SourceCite(SOURCE, reference, level),
            )
        )


def _unmapped(out: PatientRules, file_name: str, serial: str, name: str) -> None:
    out.skipped.append((SOURCE, f"{file_name} #{serial} {name!r}: name not bridged to an INN"))


def _age(ctx: BuildContext, folder: Path, out: PatientRules) -> None:
    file_name = "dur_age_bann.tsv"
    for r in _records(folder / file_name):
        serial, name = r["age_condi_sn"], _english(r, ("igrd_nm", "igrd_cd"))
        decision, _ = ctx.corrections.apply(CORRECTIONS, f"{file_name} #{serial}", "rule", "age contraindication")
        if decision == "left out":
            out.skipped.append((SOURCE, f"{file_name} #{serial} {name}: left out by knowledge/corrections.csv"))
            continue
        inns = _components(ctx, name)
        if inns is None:
            _unmapped(out, file_name, serial, name)
            continue
        number, unit, comparison = r["rlvt_age"].strip(), r["rlvt_age_unit_nm"].strip(), r["age_prcs_cnd_nm"].strip()
        if not unit:
            # 39 rows give no unit; their texts speak of newborns and premature infants ("조숙아", "2개월 미만의
            # 영아") while the figure is 18: neither years nor months can be read with confidence. Left out.
            out.skipped.append((SOURCE, f"{file_name} #{serial} {name}: age {number} with no unit: not read"))
            continue
        years = _years(number, unit)
        if years is None or comparison not in ("미만", "이하", "이상"):
            out.skipped.append((SOURCE, f"{file_name} #{serial}: age {number!r} {unit!r} {comparison!r} unreadable"))
            continue
        written = f"{number}{unit} {comparison}"
        bound: dict[str, str] = {}
        if comparison == "미만":
            bound["below_age"] = _figure(years)
        elif comparison == "이하":
            # At or under N: the completed age is at most N, so the restriction holds below N + 1 (unit).
            step = 1.0 if unit != "개월" else 1.0 / 12.0
            bound["below_age"] = _figure(years + step)
        else:
            bound["from_age"] = _figure(years)
        reference = f"{file_name} #{serial} {name}"
        text = r["dtl_info_cn"].strip()
        where = {"forms_ko": text} if is_form_list(text) or _FORM_HEAD.match(text) else {"text_ko": text}
        _rows(out, "age", serial, inns, reference, f"{LEVEL['age']} {written}", **where, **bound)


# Korean dosage-form words → the route families of rxsafe.matching.dosage_form (values of FormFamily).
_ROUTE_OF_FORM = {
    **dict.fromkeys(
        (
            "정제",
            "캡슐제",
            "서방정",
            "시럽제",
            "경구용액제",
            "경구용 액제",
            "서방형정제",
            "구강붕해정",
            "산제",
            "구강붕해필름",
            "구강용해필름",
            "과립제",
            "저작정",
            "서방성캡슐제",
            "서방형캡슐제",
            "저작정제",
            "구강붕해정제",
            "장용정제",
            "세립제",
            "츄정",
            "분산정",
            "환제",
            "장용캡슐제",
            "트로키제",
            "서방형 정제",
        ),
        "oral",
    ),
    **dict.fromkeys(("주사제", "수액제"), "injection"),
    **dict.fromkeys(("연고제", "크림제", "로션제", "외용액제", "겔제", "경피흡수제", "샴푸제", "라카제"), "skin"),
    **dict.fromkeys(("흡입제", "흡입분말제", "에어로솔제"), "inhaled"),
    **dict.fromkeys(("점비액제", "점비제"), "nose"),
    "점안제": "eye",
    **dict.fromkeys(("질정", "질정제", "좌제", "관장제"), "vaginal or rectal"),
}
# Words in a forms cell that are not forms: "복합제" (combination product), "단일제·복합제 포함" (single and
# combination products). "모든제형" (all forms) and any word not mapped make the routes unknown (the rule holds
# for every form).
_NOT_FORMS = frozenset({"복합제", "단일제·복합제 포함"})


def routes_of(forms: str) -> str:
    """The route families a forms cell names, `` | ``-joined; "" when it names all forms or a form not mapped.

    >>> routes_of("정제, 서방정 / 복합제"), routes_of("주사제"), routes_of("정제, 액제"), routes_of("모든제형")
    ('oral', 'injection', '', '')
    """
    words = [re.sub(r"\(.*", "", w).strip() for w in re.split(r"[,/]", forms)]
    words = [w for w in words if w and w not in _NOT_FORMS]
    routes = {_ROUTE_OF_FORM.get(w) for w in words}
    if not words or None in routes:
        return ""
    return " | ".join(sorted(r for r in routes if r))


def is_form_list(text: str) -> bool:
    """Whether a detail text only lists dosage forms (the rule is restricted to them).

    >>> is_form_list("구강용겔제, 연고제, 겔제"), is_form_list("점비제(0.1%), 점비제(0.05%)")
    (True, True)
    >>> is_form_list("안전성 미확립")
    False
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return bool(parts) and all(_FORM_WORD.match(p) for p in parts)


def _years(number: str, unit: str) -> float | None:
    try:
        value = float(number)
    except ValueError:
        return None
    if unit == "개월":
        return value / 12.0
    return value if unit in ("세", "") else None


def _figure(value: float) -> str:
    return f"{value:.6g}"


def _pregnancy(ctx: BuildContext, folder: Path, out: PatientRules) -> None:
    file_name = "dur_prgnt_bann.tsv"
    for r in _records(folder / file_name):
        serial, name, grade = r["pgw_condi_sn"], _english(r, ("igrd_nm", "igrd_cd")), r["condi_grd_cd"].strip()
        inns = _components(ctx, name)
        if inns is None:
            _unmapped(out, file_name, serial, name)
            continue
        if grade not in ("1", "2"):
            out.skipped.append((SOURCE, f"{file_name} #{serial}: grade {grade!r} is neither 1 nor 2"))
            continue
        reference = f"{file_name} #{serial} {name}"
        level = f"{LEVEL['pregnancy']} {grade}등급"
        _rows(out, "pregnancy", serial, inns, reference, level, grade=grade, text_ko=r["dtl_info_cn"])


def _daily_dose(ctx: BuildContext, folder: Path, out: PatientRules) -> None:
    file_name = "dur_cpct.tsv"
    for r in _records(folder / file_name):
        serial, name, text = r["cpct_cutn_sn"], r["gnrl_nm"].strip(), r["day_max_admin_cpct_cn"].strip()
        names = [p.strip() for p in name.split("/") if p.strip()]
        amounts = [_daily_mg(part) for part in text.split("/")] if "/" in text else [_daily_mg(text)]
        if any(marker in text for marker in _NOT_DAILY_MASS) or any(a is None for a in amounts):
            out.skipped.append((SOURCE, f"{file_name} #{serial} {name}: {text!r} is not a daily mass per component"))
            continue
        if len(amounts) != len(names):
            out.skipped.append((SOURCE, f"{file_name} #{serial} {name}: {len(amounts)} amounts for {len(names)} names"))
            continue
        inns = [ctx.names.to_inn(n) for n in names]
        if any(i is None for i in inns) or len(set(inns)) != len(inns):
            _unmapped(out, file_name, serial, name)
            continue
        limits = {f"limit_mg:{inn}": _figure(mg) for inn, mg in zip(inns, amounts, strict=True) if inn and mg}
        component_inns = tuple(sorted(i for i in inns if i is not None))
        reference = f"{file_name} #{serial} {name}"
        level = f"{LEVEL['daily_dose']} {text}"
        _rows(out, "daily_dose", serial, component_inns, reference, level, forms_ko=r["dtl_cn"], **limits)


def _daily_mg(part: str) -> float | None:
    """One component's maximum in mg: the first figure of alternatives ("또는"), the highest of per-indication ones."""
    chosen = part.split("또는", maxsplit=1)[0] if "또는" in part else part
    found = [float(n.replace(",", "")) * _MG_PER[u] for n, u in _NUMBER_UNIT.findall(chosen)]
    if not found:
        return None
    return max(found) if "(" in chosen else found[0]


def _duration(ctx: BuildContext, folder: Path, out: PatientRules) -> None:
    file_name = "dur_dosage.tsv"
    for r in _records(folder / file_name):
        serial, name, days = r["admin_prd_cutn_sn"], r["gnrl_nm"].strip(), r["max_admin_prd_day_cnt"].strip()
        inns = _components(ctx, name, "/")
        if inns is None:
            _unmapped(out, file_name, serial, name)
            continue
        if not days.isdigit():
            out.skipped.append((SOURCE, f"{file_name} #{serial}: duration {days!r} unreadable"))
            continue
        reference = f"{file_name} #{serial} {name}"
        level = f"{LEVEL['duration']} {days}일"
        _rows(out, "duration", serial, inns, reference, level, max_days=days, forms_ko=r["rmrk_cn"])


def _simple(  # noqa: PLR0917 -- private, two call sites
    ctx: BuildContext, folder: Path, out: PatientRules, kind: str, file_name: str, key: str, columns: tuple[str, ...]
) -> None:
    for r in _records(folder / file_name):
        serial, name = r[key], _english(r, columns)
        inns = _components(ctx, name)
        if inns is None:
            _unmapped(out, file_name, serial, name)
            continue
        forms = " ".join(filter(None, (r.get("mdcn_dtl_cn", "").strip(), r.get("rmrk_cn", "").strip())))
        _rows(out, kind, serial, inns, f"{file_name} #{serial} {name}", LEVEL[kind], forms_ko=forms)
