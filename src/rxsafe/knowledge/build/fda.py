"""FDA "Examples of drugs that interact with CYP enzymes and transporter systems" (Table 1, page of 2026-05-29).

Class membership only; this source grades no pair. One class per enzyme or transporter and role, in FDA's own
words: ``fda:strong CYP3A inhibitors``, ``fda:sensitive CYP3A substrates``, ``fda:P-gp inhibitors`` … FDA writes
"3A" for CYP3A4/5; the class names keep "CYP3A". Where an ANSM class means the same thing
(``data/ansm_class_atc_map.csv``, kind ``fda``, with the reason), the FDA members are added to the ANSM class too;
that is how "clarithromycin is a strong CYP3A4 inhibitor" meets ANSM's "simvastatin + strong CYP3A4 inhibitors".

Left out, and reported as unmapped: combination regimens ("lopinavir and ritonavir": the strength belongs to the
regimen, not to each drug), names the index cannot bridge (grapefruit juice, tobacco), and bupropion as a
sensitive CYP2B6 substrate, which FDA's own footnote 2 contradicts.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rxsafe.knowledge.build.class_support import read_data_csv, split_list
from rxsafe.knowledge.build.rows import ClassRow, Contribution, MemberRow, NameIndex

SOURCE = "FDA DDI substrates/inhibitors/inducers table 2026-05-29"
LEGACY_SOURCE = "FDA DDI table 2006 (legacy, secondary transcription)"
ROLES_FILE = Path("fda-ddi-substrates-inhibitors-inducers") / "fda_cyp_transporter_roles.csv"
CLASS_MAP_FILE = "ansm_class_atc_map.csv"

# role → (label before the pathway, label after it), singular; the class name is the plural.
_ROLE_WORDS = {
    "inhibitor_strong": ("strong", "inhibitor"),
    "inhibitor_moderate": ("moderate", "inhibitor"),
    "inhibitor_weak": ("weak", "inhibitor"),
    "inducer_strong": ("strong", "inducer"),
    "inducer_moderate": ("moderate", "inducer"),
    "inducer_weak": ("weak", "inducer"),
    "substrate_sensitive": ("sensitive", "substrate"),
    "substrate_moderate_sensitive": ("moderate sensitive", "substrate"),
    "inhibitor": ("", "inhibitor"),
    "substrate": ("", "substrate"),
    "substrate_nti": ("narrow therapeutic range", "substrate"),
}
# FDA footnote 2: "Bupropion itself is not a sensitive substrate" of CYP2B6, although the table lists it there.
_CONTRADICTED = {("CYP2B6", "substrate_sensitive", "bupropion")}


def role_label(pathway: str, role: str) -> str:
    """Singular label of an FDA role, e.g. ``strong CYP3A inhibitor``."""
    try:
        before, noun = _ROLE_WORDS[role]
    except KeyError as exc:
        raise ValueError(f"FDA role not in the mapping: {role!r}") from exc
    return " ".join(part for part in (before, pathway, noun) if part)


def class_id(pathway: str, role: str) -> str:
    """Id of the FDA class, e.g. ``fda:strong CYP3A inhibitors``."""
    return f"fda:{role_label(pathway, role)}s"


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """FDA classes and members, plus FDA members of the ANSM classes that mean the same thing."""
    out = Contribution()
    by_role: dict[tuple[str, str], set[str]] = {}
    unmapped: set[str] = set()
    with (sources_dir / ROLES_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            pathway, role, drug = row["enzyme_or_transporter"], row["role"], row["drug"].strip()
            by_role.setdefault((pathway, role), set())
            if (pathway, role, drug) in _CONTRADICTED:
                unmapped.add(f"{drug} as {role_label(pathway, role)} (contradicted by FDA footnote 2)")
                continue
            # The tidy file flags regimens with exactly this phrase; ritonavir's own footnote 14 merely mentions
            # "combination regimens", so a looser test would drop ritonavir itself.
            if " and " in drug or "combination regimen as listed by FDA" in row["note"]:
                unmapped.add(f"{drug} (combination regimen)")
                continue
            inn = names.to_inn(drug)
            if inn is None:
                unmapped.add(drug)
                continue
            by_role[(pathway, role)].add(inn)
    for (pathway, role), inns in sorted(by_role.items()):
        source = LEGACY_SOURCE if role == "substrate_nti" else SOURCE
        via = "fda_table_2006" if role == "substrate_nti" else "fda_table"
        name = class_id(pathway, role).removeprefix("fda:")
        out.classes.append(ClassRow(class_id(pathway, role), "fda", name, "", source))
        out.members.extend(MemberRow(class_id(pathway, role), inn, source, via) for inn in sorted(inns))
    for row in read_data_csv(CLASS_MAP_FILE):
        if row["kind"] != "fda":
            continue
        pathway, role = row["code"].split("|")
        if (pathway, role) not in by_role:
            raise ValueError(f"{CLASS_MAP_FILE}: no FDA class {row['code']!r}")
        skip = set(split_list(row["exclude"]))
        via = f"fda_table: {role_label(pathway, role)}"
        out.members.extend(
            MemberRow(f"ansm:{row['ansm_class']}", inn, SOURCE, via) for inn in sorted(by_role[(pathway, role)] - skip)
        )
    out.members.sort()
    out.unmapped.extend((SOURCE, name) for name in sorted(unmapped))
    return out
