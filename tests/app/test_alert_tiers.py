"""Tiers end to end: the policy file's tier rules and suppressions, their audit, and the fixed alert workload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from rxsafe.app.alert_workload import (
    LARGEST_CASE,
    MAX_EVERYDAY_MEDIAN_SHOWN,
    MAX_POLYPHARMACY_MEDIAN_SHOWN,
    WorkloadFigures,
    format_figures,
    load_workload,
    measure,
    percentile,
)
from rxsafe.app.policy_file import load_policy
from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core.enums import DisplayTier
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import Prescription, PrescriptionLine
from rxsafe.core.policy import Policy
from rxsafe.ehr.audit import AuditAction
from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR, demo_patients
from scripts.bench import workload as bench

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "policy.example.toml"


@pytest.fixture(scope="module")
def service() -> SafetyService:
    return build_service(db=None)


@pytest.fixture(scope="module")
def figures(service: SafetyService) -> WorkloadFigures:
    return measure(service, load_workload())


def test_the_example_policy_has_tier_rules_and_a_reviewed_suppression() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.tiers.version == 1
    [entry] = policy.suppressions.entries
    assert entry.approved_by
    assert entry.reason
    assert "suppressions v1 (1 entry, reviewed 2026-11-20)" in policy.tier_label


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[tiers]\nmin_sources = 0\n", "tiers.min_sources"),
        ("[tiers]\nmoderate_review_kinds = ['ALERGY']\n", "tiers.moderate_review_kinds.0"),
        (
            "[[suppressions.entries]]\ndrugs = ['a', 'b']\nto = 'info'\napproved_on = 2026-11-20\nreason = 'x'\n",
            "suppressions.entries.0.approved_by",
        ),
    ],
)
def test_a_bad_tier_section_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidRequest) as error:
        load_policy(path)
    assert error.value.field == key


@pytest.fixture
def stored_service(tmp_path: Path) -> Iterator[SafetyService]:
    service = build_service(db=tmp_path / "store.duckdb", seed=False)
    yield service
    assert service.store is not None
    service.store.close()


def test_a_policy_change_is_audited_with_both_versions(stored_service: SafetyService) -> None:
    store = stored_service.store
    assert store is not None
    stored_service.record_policy_in_force()
    stored_service.replace_policy(Policy())  # the same policy again: nothing changed, nothing to audit
    stored_service.replace_policy(load_policy(EXAMPLE))
    rows = [r for r in store.audit_events() if r.action == AuditAction.RELOAD.value and r.subject == "policy"]
    assert len(rows) == 2
    assert "tiers rxsafe-default v1; suppressions v0" in rows[0].outcome
    before, after = rows[1].outcome.split(" -> ")
    assert "suppressions v0" in before
    assert "suppressions v1 (1 entry" in after
    assert store.verify_audit().ok


def test_every_report_names_its_tier_rules(service: SafetyService) -> None:
    case = load_workload()[0]
    assert service.check(case.request).tier_policy == Policy().tier_label


def test_the_workload_polypharmacy_patient_is_the_benchmarks() -> None:
    case = next(c for c in load_workload() if c.case_id == LARGEST_CASE)
    patient = case.request.patient
    assert patient is not None
    assert tuple(m.text for m in patient.medications) == bench.MEDICATION_TEXTS
    assert tuple(line.text for line in case.request.prescription.lines) == bench.PRESCRIPTION_TEXTS


def test_the_workload_holds_out_part_of_the_everyday_set() -> None:
    splits = [c.split for c in load_workload() if c.group == "everyday"]
    assert splits.count("holdout") >= 10
    assert splits.count("tune") >= 20


def test_no_serious_conflict_is_collapsed_and_none_is_dropped(figures: WorkloadFigures) -> None:
    assert all(c.serious_in_info == 0 for c in figures.cases)
    assert all(c.act + c.review + c.info == c.total for c in figures.cases)
    # The tiers cut what is shown first: the polypharmacy patients had ~50 conflicts each before.
    poly = figures.of("polypharmacy")
    assert sum(c.total for c in poly) > 3 * sum(c.act + c.review for c in poly)


def test_the_issue_targets_hold(figures: WorkloadFigures) -> None:
    everyday = sorted(c.shown for c in figures.of("everyday"))
    poly = sorted(c.shown for c in figures.of("polypharmacy"))
    assert percentile(everyday, 50) <= MAX_EVERYDAY_MEDIAN_SHOWN
    assert percentile(poly, 50) <= MAX_POLYPHARMACY_MEDIAN_SHOWN
    text = "\n".join(format_figures(figures))
    assert "MISS" not in text
    assert "everyday outpatient (held out)" in text


def test_the_issue_example_shows_two_of_nine(service: SafetyService) -> None:
    # Demo patient 3 (simvastatin, digoxin, bisoprolol, aspirin, amlodipine) with clarithromycin and paracetamol.
    patient = next(p for p in demo_patients(date(2026, 11, 26)) if p.patient_id == DEMO_CARDIOVASCULAR)
    patient = patient.model_copy(
        update={"medications": tuple(m.model_copy(update={"id": f"m{n}"}) for n, m in enumerate(patient.medications))}
    )
    lines = (PrescriptionLine(text="Clarithromycin 500mg"), PrescriptionLine(text="Paracetamol 500mg x 2 viên/lần"))
    report = service.check(CheckRequest(patient=patient, prescription=Prescription(lines=lines)))
    by_drugs = {c.drugs: c.tier for c in report.conflicts}
    assert by_drugs[("clarithromycin", "simvastatin")] is DisplayTier.ACT
    assert by_drugs[("clarithromycin", "digoxin")] is DisplayTier.REVIEW
    assert by_drugs[("clarithromycin", "paracetamol")] is DisplayTier.INFO
    assert by_drugs[("paracetamol", "simvastatin")] is DisplayTier.INFO
    assert by_drugs[("acetylsalicylic acid", "paracetamol")] is DisplayTier.INFO


def test_the_summary_says_what_to_review_and_what_is_information(service: SafetyService) -> None:
    case = next(c for c in load_workload() if c.case_id == "e02")  # three ungraded DDInter pairs
    report = service.check(case.request)
    info = sum(1 for c in report.conflicts if c.tier is DisplayTier.INFO)
    assert info == len(report.conflicts) > 0
    assert f"0 finding(s) to review, {info} for information" in report.summary.en
    assert f"0 cảnh báo cần xem xét, {info} cảnh báo thông tin" in report.summary.vi


def test_the_workload_import_patients_are_the_benchmarks() -> None:
    from scripts.bench.micro import _IMPORT_DRUGS, MEDICATIONS_PER_IMPORTED_PATIENT  # noqa: PLC0415 -- private data

    imported = [c for c in load_workload() if c.case_id.startswith("bench-import-")]
    assert len(imported) == 12
    for case in imported:
        n = int(case.case_id.rsplit("-", 1)[1])
        assert case.request.patient is not None
        texts = tuple(m.text for m in case.request.patient.medications)
        assert texts == tuple(
            _IMPORT_DRUGS[(n + k) % len(_IMPORT_DRUGS)] for k in range(MEDICATIONS_PER_IMPORTED_PATIENT)
        )
