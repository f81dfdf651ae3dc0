"""Coverage, stated: for every line, which patient-level checks ran and which could not, and the notices."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import Outcome
from rxsafe.core.enums import NoticeKind
from rxsafe.core.models import CheckedLine, CheckGap, LineCoverage, LocalizedText, Notice


def coverage_of(
    lines: Sequence[CheckedLine], outcomes: Sequence[Outcome]
) -> tuple[tuple[LineCoverage, ...], list[Notice]]:
    """One ``LineCoverage`` per line, in order, and a ``CHECK_NOT_RUN`` notice for each gap that asks for one."""
    ran: dict[int, list[str]] = {line.index: [] for line in lines}
    gaps: dict[int, list[CheckGap]] = {line.index: [] for line in lines}
    found: list[Notice] = []
    for outcome in outcomes:
        for index, check in outcome.ran:
            if check not in ran[index]:
                ran[index].append(check)
        for index, gap, notice in outcome.gaps:
            if gap not in gaps[index]:
                gaps[index].append(gap)
                if notice:
                    found.append(
                        Notice(
                            kind=NoticeKind.CHECK_NOT_RUN,
                            line_index=index,
                            message=LocalizedText(
                                vi=f"Chưa kiểm tra {gap.check}: {gap.reason.vi}",
                                en=f"{gap.check.capitalize()} check not run: {gap.reason.en}",
                            ),
                        )
                    )
    coverage = tuple(
        LineCoverage(index=line.index, checks_run=tuple(ran[line.index]), checks_not_run=tuple(gaps[line.index]))
        for line in lines
    )
    return coverage, found
