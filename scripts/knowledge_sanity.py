"""Print how the knowledge base answers well-known interaction pairs: severity, sources, class route.

A coverage sanity check for reviewers, not a test and not a tuning target: the pairs are textbook examples of
the kinds on the ONC high-priority DDI list (Phansalkar et al., JAMIA 2012;19:735) plus two usually graded
low-priority. A pair that comes back missing or below major points at a *mechanism* to fix (a class
membership, a French name, an ATC map), never at the pair itself.

Usage: ``python scripts/knowledge_sanity.py [KNOWLEDGE_DIR]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from rxsafe.core.enums import Severity
from rxsafe.knowledge.loader import load_knowledge

# (group as the high-priority lists name it, a, b, expected: "high" = major or above, "low" = found, not CI)
PAIRS: tuple[tuple[str, str, str, str], ...] = (
    ("QT-prolonging + QT-prolonging", "amiodarone", "levofloxacin", "high"),
    ("QT-prolonging + QT-prolonging", "haloperidol", "methadone", "high"),
    ("QT-prolonging + QT-prolonging", "sotalol", "erythromycin", "high"),
    ("MAOI + serotonergic", "phenelzine", "sertraline", "high"),
    ("MAOI + serotonergic", "tranylcypromine", "tramadol", "high"),
    ("MAOI + serotonergic", "selegiline", "pethidine", "high"),
    ("MAOI + serotonergic", "linezolid", "fluoxetine", "high"),
    ("PDE5 inhibitor + nitrate", "sildenafil", "isosorbide mononitrate", "high"),
    ("PDE5 inhibitor + nitrate", "tadalafil", "glyceryl trinitrate", "high"),
    ("methotrexate + trimethoprim", "methotrexate", "trimethoprim", "high"),
    ("warfarin + azole antifungal", "warfarin", "fluconazole", "high"),
    ("warfarin + azole antifungal", "warfarin", "miconazole", "high"),
    ("statin + strong CYP3A4 inhibitor", "simvastatin", "itraconazole", "high"),
    ("statin + strong CYP3A4 inhibitor", "lovastatin", "ritonavir", "high"),
    ("statin + strong CYP3A4 inhibitor", "atorvastatin", "clarithromycin", "high"),
    ("ergot + strong CYP3A4 inhibitor", "ergotamine", "clarithromycin", "high"),
    ("ergot + strong CYP3A4 inhibitor", "dihydroergotamine", "ritonavir", "high"),
    ("colchicine + strong CYP3A4 inhibitor", "colchicine", "clarithromycin", "high"),
    ("colchicine + strong CYP3A4 inhibitor", "colchicine", "ketoconazole", "high"),
    ("tizanidine + CYP1A2 inhibitor", "tizanidine", "fluvoxamine", "high"),
    ("tizanidine + CYP1A2 inhibitor", "tizanidine", "ciprofloxacin", "high"),
    ("K-sparing diuretic + potassium", "spironolactone", "potassium chloride", "high"),
    ("K-sparing diuretic + potassium", "amiloride", "potassium chloride", "high"),
    ("amiodarone + digoxin", "amiodarone", "digoxin", "high"),
    ("thioridazine/pimozide + CYP inhibitor", "pimozide", "clarithromycin", "high"),
    ("theophylline + fluvoxamine", "theophylline", "fluvoxamine", "high"),
    ("clopidogrel + omeprazole (low priority)", "clopidogrel", "omeprazole", "low"),
    ("levothyroxine + calcium (low priority)", "levothyroxine sodium", "calcium carbonate", "low"),
)


def main(argv: list[str]) -> int:
    """Print the table; the exit code is always 0 (this reports, it does not gate)."""
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "knowledge"
    kb = load_knowledge(folder)
    print(f"{'group':<40} {'pair':<42} {'found':<16} {'ok':<4} sources / via")
    for group, a, b, expected in PAIRS:
        missing = [n for n in (a, b) if not kb.knows(n)]
        hits = kb.interactions(a, b) if not missing else ()
        top = hits[0].rule.severity if hits else None
        found = top.name.lower() if top is not None else ("UNKNOWN INN" if missing else "none")
        if expected == "high":
            ok = top is not None and top >= Severity.MAJOR
        else:
            ok = top is not None and top < Severity.CONTRAINDICATED
        evidence = "; ".join(
            f"{h.rule.severity.name.lower()}: {', '.join(sorted({s.source for s in h.rule.sources}))}"
            + (f" (via {h.via})" if h.via else "")
            for h in hits[:3]
        )
        print(f"{group:<40} {a + ' + ' + b:<42} {found:<16} {'yes' if ok else 'NO':<4} {evidence[:220]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
