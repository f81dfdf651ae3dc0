"""Class rules rxsafe derives from sources that grade no pair: FDA index-table mechanisms, CredibleMeds QT risk.

Neither source names an interacting pair; what they say about each drug implies one. The rules are rxsafe's
decision (SEVERITY.md, "Derived rules"), cited as derived so a pharmacist can tell them from a source's pair:

- **FDA mechanism rules**, per CYP enzyme of the FDA table (transporters have no strength band there):
  strong inhibitor × sensitive substrate → ``major``; moderate inhibitor × sensitive substrate → ``moderate``;
  strong inducer × sensitive substrate → ``major``. The reason text is FDA's own definitions. Substrates FDA
  marks "usually administered in combination with ritonavir, a strong CYP3A inhibitor" (footnote 6: darunavir,
  indinavir, saquinavir, tipranavir) are left out of the *inhibitor* rules — the boosted regimen is the intended
  use — but kept in the inducer rules (rifampicin lowers them).
- **QT rule**: two drugs on CredibleMeds' known-TdP-risk list → ``major`` (class × same class). Drugs with only
  possible or conditional risk are not on that list and do not trigger it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rxsafe.knowledge.build import crediblemeds, fda
from rxsafe.knowledge.build.rows import ClassRow, Contribution, MemberRow, NameIndex, RuleRow, SourceCite

SOURCE_FDA = "rxsafe mechanism rule via FDA index table 2026-05-29"
SOURCE_QT = "rxsafe QT rule via CredibleMeds known TdP risk list 2014"
_BOOSTED_NOTE = "FDA footnote 6"

_DEF_EN = {
    "inhibitor_strong": "a strong inhibitor increases the AUC of a sensitive index substrate ≥ 5-fold",
    "inhibitor_moderate": "a moderate inhibitor increases the AUC of a sensitive index substrate ≥ 2- to < 5-fold",
    "inducer_strong": "a strong inducer decreases the AUC of a sensitive index substrate by ≥ 80 %",
}
_DEF_VI = {
    "inhibitor_strong": "chất ức chế mạnh làm tăng AUC của cơ chất chỉ điểm nhạy cảm ≥ 5 lần",
    "inhibitor_moderate": "chất ức chế trung bình làm tăng AUC của cơ chất chỉ điểm nhạy cảm từ 2 đến < 5 lần",
    "inducer_strong": "chất cảm ứng mạnh làm giảm AUC của cơ chất chỉ điểm nhạy cảm ≥ 80 %",
}
_SUBSTRATE_EN = "a sensitive substrate's AUC increases ≥ 5-fold with a strong index inhibitor"
_SUBSTRATE_VI = "cơ chất nhạy cảm có AUC tăng ≥ 5 lần khi dùng cùng chất ức chế chỉ điểm mạnh"
_CONSEQUENCE_EN = {
    "inhibitor_strong": "large rise in the substrate's exposure (toxicity)",
    "inhibitor_moderate": "rise in the substrate's exposure",
    "inducer_strong": "large fall in the substrate's exposure (loss of effect)",
}
_CONSEQUENCE_VI = {
    "inhibitor_strong": "tăng mạnh nồng độ cơ chất (nguy cơ độc tính)",
    "inhibitor_moderate": "tăng nồng độ cơ chất",
    "inducer_strong": "giảm mạnh nồng độ cơ chất (mất tác dụng)",
}
# rxsafe's grade of each derived mechanism (SEVERITY.md says why).
SEVERITY_BY_ROLE = {"inhibitor_strong": "major", "inhibitor_moderate": "moderate", "inducer_strong": "major"}


def _boosted_substrates(sources_dir: Path, names: NameIndex) -> dict[str, set[str]]:
    """Pathway → sensitive substrates FDA says are usually given with ritonavir (footnote 6)."""
    found: dict[str, set[str]] = {}
    with (sources_dir / fda.ROLES_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] == "substrate_sensitive" and row["note"].startswith(_BOOSTED_NOTE):
                inn = names.to_inn(row["drug"].strip())
                if inn is not None:
                    found.setdefault(row["enzyme_or_transporter"], set()).add(inn)
    return found


def _mechanism_rules(sources_dir: Path, names: NameIndex, out: Contribution) -> None:
    table = fda.contribute(sources_dir, names)
    members: dict[str, set[str]] = {}
    for member in table.members:
        if member.class_id.startswith("fda:"):
            members.setdefault(member.class_id, set()).add(member.inn)
    boosted = _boosted_substrates(sources_dir, names)
    pathways = sorted(
        {
            c.class_id.removeprefix("fda:sensitive ").removesuffix(" substrates")
            for c in table.classes
            if c.class_id.startswith("fda:sensitive CYP")
        }
    )
    for pathway in pathways:
        substrates_id = fda.class_id(pathway, "substrate_sensitive")
        for role, severity in SEVERITY_BY_ROLE.items():
            actor_id = fda.class_id(pathway, role)
            if not members.get(actor_id) or not members.get(substrates_id):
                continue
            substrate_side = substrates_id
            left_out = sorted(boosted.get(pathway, set()) & members[substrates_id]) if role.startswith("inhib") else []
            if left_out:
                substrate_side = f"rxsafe:{fda.role_label(pathway, 'substrate_sensitive')}s not usually boosted"
                out.classes.append(
                    ClassRow(
                        substrate_side,
                        "rxsafe",
                        f"{fda.role_label(pathway, 'substrate_sensitive')}s (FDA), without those FDA footnote 6 "
                        f"says are usually given with ritonavir ({', '.join(left_out)})",
                        "",
                        SOURCE_FDA,
                    )
                )
                out.members.extend(
                    MemberRow(substrate_side, inn, fda.SOURCE, "fda_table; rxsafe: FDA footnote 6 drugs left out")
                    for inn in sorted(members[substrates_id] - set(left_out))
                )
            actor, substrate = fda.role_label(pathway, role), fda.role_label(pathway, "substrate_sensitive")
            out.rules.append(
                RuleRow(
                    rule_id="",
                    a_kind="class",
                    a=actor_id,
                    b_kind="class",
                    b=substrate_side,
                    severity=severity,
                    mechanism_en=(
                        f"Derived rule (rxsafe), via FDA index table: {actor} × {substrate}. FDA definitions: "
                        f"{_DEF_EN[role]}; {_SUBSTRATE_EN}."
                    ),
                    mechanism_vi=(
                        f"Quy tắc suy ra (rxsafe), theo bảng chỉ số FDA: {actor} × {substrate}. Định nghĩa của "
                        f"FDA: {_DEF_VI[role]}; {_SUBSTRATE_VI}."
                    ),
                    consequence_en=_CONSEQUENCE_EN[role],
                    consequence_vi=_CONSEQUENCE_VI[role],
                    sources=(
                        SourceCite(SOURCE_FDA, f"{actor_id} × {substrates_id}", f"derived: {actor} × {substrate}"),
                    ),
                )
            )


def _qt_rule(out: Contribution) -> None:
    out.rules.append(
        RuleRow(
            rule_id="",
            a_kind="class",
            a=crediblemeds.CLASS_ID,
            b_kind="class",
            b=crediblemeds.CLASS_ID,
            severity="major",
            mechanism_en=(
                "Derived rule (rxsafe): both drugs are on CredibleMeds' list of drugs with a known risk of torsades "
                "de pointes (2014); their QT-prolonging effects may add."
            ),
            mechanism_vi=(
                "Quy tắc suy ra (rxsafe): cả hai thuốc đều thuộc danh sách CredibleMeds các thuốc có nguy cơ xoắn "
                "đỉnh (torsades de pointes) đã biết (2014); tác dụng kéo dài QT có thể cộng hợp."
            ),
            consequence_en="QT prolongation, torsades de pointes",
            consequence_vi="kéo dài khoảng QT, xoắn đỉnh",
            sources=(
                SourceCite(SOURCE_QT, f"{crediblemeds.CLASS_ID} × {crediblemeds.CLASS_ID}", "derived: known × known"),
            ),
        )
    )


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """The derived class rules (and the reduced substrate classes they need)."""
    out = Contribution()
    _mechanism_rules(sources_dir, names, out)
    _qt_rule(out)
    return out
