"""What the report shows, worked out once in Python so the template only lays it out.

Ordering, masking, the language choice and its fallbacks are decided here, where they can be tested without
parsing HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rxsafe.core.enums import DisplayTier, ResolutionStatus, Severity
from rxsafe.core.models import Conflict, ConflictReport, EvidenceStrength, Notice, PatientRecord, RecordEntry
from rxsafe.core.notices import UNVERIFIED
from rxsafe.core.tiers import tier_counts
from rxsafe.ehr.identifiers import mask_personal_id
from rxsafe.report import i18n
from rxsafe.report.i18n import Lang, Picked

# One way to hide a personal ID everywhere (messages, screens, reports); kept under its old name here.
mask_id = mask_personal_id


@dataclass(frozen=True)
class TextRow:
    label: str
    text: Picked


@dataclass(frozen=True)
class EvidenceRow:
    source: str
    reference: str
    level: str
    via: str


@dataclass(frozen=True)
class OverrideView:
    reason: str
    comment: str
    by: str


@dataclass(frozen=True)
class ConflictView:
    number: int
    id: str
    severity: Severity
    severity_label: str
    level_label: str
    kind_label: str
    interruptive: bool
    title: Picked
    detail: Picked
    drugs: tuple[str, ...]
    lines: tuple[str, ...]
    entries: tuple[str, ...]
    # The record entries' own texts, for the one-line summary.
    entry_names: tuple[str, ...]
    texts: tuple[TextRow, ...]
    evidence: tuple[EvidenceRow, ...]
    override: OverrideView | None
    tier: str = DisplayTier.REVIEW.value
    tier_label: str = ""
    tier_reason: Picked | None = None
    # Interactions: one sentence on the evidence strength, and one line per supporting source.
    strength: str = ""
    support: tuple[str, ...] = ()
    suppressed_by: str = ""


@dataclass(frozen=True)
class NoticeView:
    label: str
    message: Picked
    unverified: bool


@dataclass(frozen=True)
class LineView:
    number: int
    text: str
    status: str
    resolved: bool
    ingredients: str


@dataclass(frozen=True)
class PatientView:
    stored: bool
    name: str
    birth_date: str
    masked_id: str
    sex: str
    weight: str
    allergy_status: str
    record_note: str


@dataclass(frozen=True)
class ReportView:
    lang: Lang
    labels: dict[str, str]
    check_id: str
    verdict: str
    verdict_class: str
    summary: Picked
    patient: PatientView
    checked_at: str
    as_of: str
    knowledge_version: str
    policy: str
    prescription_id: str
    committed_note: str
    conflicts: tuple[ConflictView, ...]
    notices: tuple[NoticeView, ...]
    lines: tuple[LineView, ...]
    legend: tuple[tuple[str, str], ...] = field(default=())
    # Display tiers (issue 18): act and review are shown; info is collapsed under its count, never dropped.
    shown: tuple[ConflictView, ...] = ()
    collapsed: tuple[ConflictView, ...] = ()
    tier_counts: tuple[tuple[str, int, str], ...] = ()
    tier_policy: str = ""


_TIER_ORDER = {DisplayTier.ACT: 0, DisplayTier.REVIEW: 1, DisplayTier.INFO: 2}


def ordered_conflicts(report: ConflictReport) -> tuple[Conflict, ...]:
    """By display tier (act, review, info), then most severe first, interruptive first, else as found."""
    indexed = list(enumerate(report.conflicts))
    indexed.sort(
        key=lambda pair: (_TIER_ORDER[pair[1].tier], -int(pair[1].severity), not pair[1].interruptive, pair[0])
    )
    return tuple(conflict for _, conflict in indexed)


def _entry_text(entry: RecordEntry, lang: Lang) -> str:
    parts = [f"{i18n.entry_kind_label(entry.kind, lang)}: {entry.text}"]
    if entry.start_date or entry.end_date:
        span = f"{i18n.label('from', lang)} {i18n.format_date(entry.start_date, lang)}"
        if entry.end_date:
            span += f" {i18n.label('to', lang)} {i18n.format_date(entry.end_date, lang)}"
        parts.append(span)
    if entry.status:
        parts.append(f"({i18n.window_label(entry.status, lang)})")
    return " ".join(parts)


def _conflict_view(number: int, conflict: Conflict, report: ConflictReport, lang: Lang) -> ConflictView:
    line_texts = {line.index: line.line.text for line in report.lines}
    texts = tuple(
        TextRow(i18n.label(key, lang), i18n.pick(text, lang))
        for key, text in (
            ("mechanism", conflict.mechanism),
            ("consequence", conflict.consequence),
            ("management", conflict.management),
        )
        if text.vi.strip() or text.en.strip()
    )
    override = None
    if conflict.override is not None:
        override = OverrideView(
            reason=i18n.override_label(conflict.override.reason, lang),
            comment=conflict.override.comment,
            by=_override_by(conflict.override.overridden_by, conflict.override.asserted_by_client, lang),
        )
    return ConflictView(
        number=number,
        id=conflict.id,
        severity=conflict.severity,
        severity_label=i18n.severity_label(conflict.severity, lang),
        level_label=(
            i18n.label("formulary_level", lang).format(level=conflict.formulary_level)
            + f" — {i18n.formulary_label(conflict.formulary_level, lang)}"
        ),
        kind_label=i18n.kind_label(conflict.kind, lang),
        interruptive=conflict.interruptive,
        title=i18n.pick(conflict.title, lang),
        detail=i18n.pick(conflict.detail, lang),
        drugs=conflict.drugs,
        lines=tuple(
            f"{i18n.label('line', lang)} {index + 1}: {line_texts.get(index, '?')}" for index in conflict.line_indexes
        ),
        entries=tuple(_entry_text(entry, lang) for entry in conflict.record_entries),
        entry_names=tuple(entry.text for entry in conflict.record_entries),
        texts=texts,
        evidence=tuple(
            EvidenceRow(source=e.source, reference=e.reference, level=e.source_level, via=e.via)
            for e in conflict.evidence
        ),
        override=override,
        tier=conflict.tier.value,
        tier_label=i18n.tier_label(conflict.tier, lang),
        tier_reason=i18n.pick(conflict.tier_reason, lang)
        if conflict.tier_reason.vi or conflict.tier_reason.en
        else None,
        strength=_strength_text(conflict.strength, lang) if conflict.strength is not None else "",
        support=_support_lines(conflict.strength, lang) if conflict.strength is not None else (),
        suppressed_by=conflict.suppressed_by,
    )


def _reason(conflict: Conflict, lang: Lang) -> Picked | None:
    reason = conflict.tier_reason
    return i18n.pick(reason, lang) if reason.vi or reason.en else None


def _strength_text(strength: EvidenceStrength, lang: Lang) -> str:
    """One sentence: the strength label, then sources, official, texts (or that there is none)."""
    parts = [i18n.label("strength_sources", lang).format(n=strength.independent_sources)]
    for flag, key in (
        (strength.official, "strength_official"),
        (strength.has_mechanism, "strength_mechanism"),
        (strength.has_management, "strength_management"),
        (strength.ungraded_only, "strength_ungraded_only"),
        (strength.derived_only, "strength_derived_only"),
        (strength.class_only, "strength_class_only"),
    ):
        if flag:
            parts.append(i18n.label(key, lang))
    if not (strength.has_mechanism or strength.has_management):
        parts.append(i18n.label("strength_no_text", lang))
    return f"{i18n.strength_label(strength.label, lang)}: " + "; ".join(parts)


def _support_lines(strength: EvidenceStrength, lang: Lang) -> tuple[str, ...]:
    ungraded = i18n.label("ungraded", lang)
    return tuple(
        f"{s.family} ({i18n.source_kind_label(s.kind.value, lang)}): {s.level or '—'} → "
        + (i18n.severity_label(s.severity, lang) if s.severity is not None else ungraded)
        for s in strength.support
    )


def _override_by(user: str, client: str, lang: Lang) -> str:
    """The user as the calling system stated it, and that system (which authenticated) beside it."""
    if not client:
        return user
    via = i18n.label("asserted_by_client", lang).format(client=client)
    return f"{user} ({via})" if user else via


def _notice_views(notices: tuple[Notice, ...], lang: Lang) -> tuple[NoticeView, ...]:
    # What could not be verified comes before mere assumptions; otherwise the checker's order.
    views = [
        NoticeView(
            label=i18n.notice_label(n.kind, lang), message=i18n.pick(n.message, lang), unverified=n.kind in UNVERIFIED
        )
        for n in notices
    ]
    return tuple(sorted(views, key=lambda v: not v.unverified))


def _line_views(report: ConflictReport, lang: Lang) -> tuple[LineView, ...]:
    result = []
    for line in report.lines:
        res = line.resolution
        ingredients = ", ".join(
            i.inn + (f" {i.strength.text}" if i.strength and i.strength.text else "") for i in res.ingredients
        )
        result.append(
            LineView(
                number=line.index + 1,
                text=line.line.text,
                status=i18n.label(res.status.value.lower(), lang),
                resolved=res.status is ResolutionStatus.RESOLVED,
                ingredients=ingredients or ", ".join(res.candidates),
            )
        )
    return tuple(result)


def _patient_view(report: ConflictReport, patient: PatientRecord | None, lang: Lang) -> PatientView:
    masked = mask_id(report.patient_id) if report.patient_id else "—"
    status = i18n.allergy_status_label(report.allergy_status, lang)
    if patient is None:
        return PatientView(
            stored=False,
            name=i18n.label("patient_not_stored", lang),
            birth_date="—",
            masked_id=masked,
            sex="—",
            weight="—",
            allergy_status=status,
            record_note="",
        )
    note = ""
    if patient.record_version != report.record_version:
        note = i18n.label("record_changed", lang).format(then=report.record_version, now=patient.record_version)
    return PatientView(
        stored=True,
        name=patient.name or "—",
        birth_date=i18n.format_date(patient.birth_date, lang),
        masked_id=masked,
        sex=i18n.sex_label(patient.sex, lang),
        weight=f"{patient.weight_kg:g} kg" if patient.weight_kg is not None else "—",
        allergy_status=status,
        record_note=note,
    )


def _committed_note(report: ConflictReport, lang: Lang, key: str = "committed_note") -> str:
    # The verdict is the check's and stays as it was; once committed, say how the interruptive alerts were met.
    if not report.prescription_id:
        return ""
    interruptive = [c for c in report.conflicts if c.interruptive]
    done = sum(1 for c in interruptive if c.override is not None)
    return i18n.label(key, lang).format(id=report.prescription_id, done=done, total=len(interruptive))


def _nothing_new(report: ConflictReport) -> bool:
    """A re-check that found no new conflict and no change in severity."""
    info = report.recheck
    return info is not None and not info.new_conflict_ids and not info.changed_conflict_ids


def _overridden(report: ConflictReport) -> int:
    return sum(1 for c in report.conflicts if c.interruptive and c.override is not None)


def state_label(report: ConflictReport, lang: Lang) -> str:
    """The headline's label: the check's verdict, or what became of it (saved with overrides, re-checked)."""
    if report.prescription_id and not report.recheck:
        return i18n.label("state_committed" if _overridden(report) else "state_committed_clean", lang)
    if _nothing_new(report):
        return i18n.label("state_recheck_nothing_new", lang)
    return i18n.verdict_label(report.verdict, lang)


def headline(report: ConflictReport, lang: Lang) -> Picked:
    """What to do now, for the report's state.

    A saved prescription no longer says "stop before saving"; a re-check with nothing new says so; otherwise the
    check's own summary.
    """
    if report.prescription_id and not report.recheck:
        return i18n.Picked(_committed_note(report, lang, key="headline_committed"))
    if _nothing_new(report) and report.recheck is not None:
        return i18n.pick(report.recheck.summary, lang)
    return i18n.pick(report.summary, lang)


def build_view(report: ConflictReport, patient: PatientRecord | None, lang: Lang) -> ReportView:
    """Everything the template shows, in ``lang``."""
    conflicts = tuple(
        _conflict_view(number, conflict, report, lang)
        for number, conflict in enumerate(ordered_conflicts(report), start=1)
    )
    return ReportView(
        lang=lang,
        labels=i18n.labels(lang),
        check_id=report.check_id,
        verdict=state_label(report, lang),
        verdict_class=report.verdict.value.lower(),
        summary=headline(report, lang),
        patient=_patient_view(report, patient, lang),
        checked_at=i18n.format_timestamp(report.checked_at, lang),
        as_of=i18n.format_date(report.as_of, lang),
        knowledge_version=report.knowledge_version,
        policy=report.policy or "—",
        prescription_id=report.prescription_id,
        # Once saved, the headline itself says so (``headline``); the note would repeat it.
        committed_note="" if report.prescription_id and not report.recheck else _committed_note(report, lang),
        conflicts=conflicts,
        notices=_notice_views(report.notices, lang),
        lines=_line_views(report, lang),
        legend=tuple((i18n.severity_label(s, lang), s.name.lower()) for s in sorted(Severity, reverse=True)),
        shown=tuple(c for c in conflicts if c.tier != DisplayTier.INFO.value),
        collapsed=tuple(c for c in conflicts if c.tier == DisplayTier.INFO.value),
        tier_counts=tuple(
            (i18n.tier_label(tier, lang), count, tier.value) for tier, count in tier_counts(report.conflicts).items()
        ),
        tier_policy=report.tier_policy or "—",
    )
