"""What a report needs besides the check: the patient's record, when the check names a stored patient."""

from __future__ import annotations

from dataclasses import dataclass

from rxsafe.app.service import SafetyService
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import ConflictReport, PatientRecord
from rxsafe.report.i18n import Lang, as_lang
from rxsafe.report.render import Format, RenderedReport, render_report


def load_report_inputs(service: SafetyService, check_id: str) -> tuple[ConflictReport, PatientRecord | None]:
    """The stored report and the patient it names; the patient is None for inline checks or without a store.

    Blocking (store reads): async callers run it in a worker thread.
    """
    report = service.get_check(check_id)
    return report, load_patient(service, report)


def load_patient(service: SafetyService, report: ConflictReport) -> PatientRecord | None:
    """The stored patient the report names, for their name and date of birth; None for inline checks."""
    if service.store is None or not report.patient_id:
        return None
    return service.store.get_patient(report.patient_id)


def render_stored(service: SafetyService, report: ConflictReport, options: RenderOptions) -> RenderedReport:
    """A stored report rendered as asked, with its patient loaded. Blocking: run it off the event loop."""
    return render_report(report, load_patient(service, report), options.fmt, options.lang)


@dataclass(frozen=True)
class RenderOptions:
    """What a caller asked to have rendered."""

    fmt: Format
    lang: Lang


def render_options(render_format: str, language: str) -> RenderOptions | None:
    """Validated render options from a request; None when no rendering was asked for.

    Raises ``InvalidRequest`` naming the field, so the API answers INVALID_ARGUMENT.
    """
    if render_format not in {"", "html", "pdf"}:
        raise InvalidRequest("render_format", f"expected html or pdf (or empty for none), got {render_format!r}")
    try:
        lang = as_lang(language)
    except ValueError:
        raise InvalidRequest("language", f"expected vi or en (or empty for vi), got {language!r}") from None
    if render_format == "html":
        return RenderOptions("html", lang)
    if render_format == "pdf":
        return RenderOptions("pdf", lang)
    return None
