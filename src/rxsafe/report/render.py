"""The clinician's report as HTML (Jinja2) and as PDF (WeasyPrint, from the same HTML).

One template and one stylesheet serve both, so the page a clinician opens and the PDF that is printed or filed
show the same thing. The HTML stands alone: the stylesheet and the graph (SVG) are inline, fonts are the system's
(DejaVu Sans covers Vietnamese), and nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from rxsafe.core.models import ConflictReport, PatientRecord
from rxsafe.report.graph_svg import graph_svg
from rxsafe.report.i18n import DEFAULT_LANG, Lang
from rxsafe.report.view import build_view

Format = Literal["html", "pdf"]
CONTENT_TYPES: dict[Format, str] = {"html": "text/html", "pdf": "application/pdf"}


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report as the API returns it."""

    content_type: str
    language: Lang
    content: bytes


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("rxsafe.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


_ENV = _environment()


def _stylesheet() -> Markup:
    # Inside <style> the HTML parser decodes no entities, so the CSS must not be autoescaped; it is our own file.
    css = resources.files("rxsafe.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Markup(css)  # noqa: S704 -- trusted: shipped with the package, no user input


def render_html(report: ConflictReport, patient: PatientRecord | None = None, lang: Lang = DEFAULT_LANG) -> str:
    """The report as a standalone HTML page in ``lang``; ``patient`` (if the caller loaded it) names the patient."""
    view = build_view(report, patient, lang)
    svg, complete = graph_svg(report, patient, lang)
    template = _ENV.get_template("report.html.j2")
    return template.render(
        v=view,
        L=view.labels,
        css=_stylesheet(),
        # Every piece of text inside the SVG is escaped where it is built.
        svg=Markup(svg),  # noqa: S704
        graph_complete=complete,
    )


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML page, laid out by WeasyPrint (fonts embedded as subsets)."""
    # Imported here: WeasyPrint pulls in Pango and takes a moment to load, and most callers want HTML or nothing.
    import weasyprint  # type: ignore[import-untyped]  # noqa: PLC0415 -- WeasyPrint ships no type hints

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def render_pdf(report: ConflictReport, patient: PatientRecord | None = None, lang: Lang = DEFAULT_LANG) -> bytes:
    """The report as PDF, from the same HTML as ``render_html``."""
    return html_to_pdf(render_html(report, patient, lang))


def render_report(
    report: ConflictReport, patient: PatientRecord | None, fmt: Format, lang: Lang = DEFAULT_LANG
) -> RenderedReport:
    """The report in the requested format and language, with its content type."""
    content = render_pdf(report, patient, lang) if fmt == "pdf" else render_html(report, patient, lang).encode("utf-8")
    return RenderedReport(content_type=CONTENT_TYPES[fmt], language=lang, content=content)
