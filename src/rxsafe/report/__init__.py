"""The clinician's report: a readable page and PDF, in Vietnamese or English, with the interaction graph."""

from rxsafe.report.inputs import RenderOptions, load_patient, load_report_inputs, render_options, render_stored
from rxsafe.report.render import RenderedReport, render_html, render_pdf, render_report

__all__ = [
    "RenderOptions",
    "RenderedReport",
    "load_patient",
    "load_report_inputs",
    "render_html",
    "render_options",
    "render_pdf",
    "render_report",
    "render_stored",
]
