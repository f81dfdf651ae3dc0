"""CDS Hooks feedback on both record stores: a card's check is found by its id range, the feedback is audited.

``check_ids_between`` is written once, on the DuckDB store, and inherited by ``PostgresRecordStore`` (its SQL goes
through ``PgCursor``'s translation): these run on the ``store`` fixture, so on PostgreSQL too when it answers.
"""

from __future__ import annotations

import argparse
import json
import uuid

import pytest

from rxsafe.app.actor import Actor
from rxsafe.app.feedback_summary import summarize_feedback
from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core.models import Prescription, PrescriptionLine
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.postgres_store import PostgresRecordStore
from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR, seed_demo_patients
from rxsafe.http.cards import CardsEncoder
from rxsafe.http.feedback import CardLookup, parse_feedback, record_feedback
from rxsafe.http.metrics import CdsMetrics
from rxsafe.report import cli as report_cli
from tests.ehr.conftest import MakeCheck
from tests.postgres import url_with_schema

PRESCRIBER = Actor(client="EMR test", user="Practitioner/bs-1", roles=("prescriber",))


@pytest.fixture(scope="module")
def checker() -> SafetyService:
    return build_service(db=None)  # the knowledge and the resolver; each test gives it the store under test


def _check_id() -> str:
    return "chk-" + uuid.uuid4().hex  # as SafetyService makes them (version-4 hex: what a card UUID carries)


def test_check_ids_between_finds_the_cards_check(store: DuckDBRecordStore, make_check: MakeCheck) -> None:
    assert isinstance(store, CardLookup)
    ids = sorted(_check_id() for _ in range(5))
    for check_id in ids:
        store.save_check(make_check(check_id, "", 0, inline=True))
    target = ids[2]
    prefix = target[:-4]
    assert store.check_ids_between(prefix + "0000", prefix + "ffff") == [target]
    assert store.check_ids_between(ids[0], ids[-1], limit=10) == ids
    assert store.check_ids_between(ids[0], ids[-1]) == ids[:2]  # at most ``limit`` (2: enough to see ambiguity)
    assert store.check_ids_between("chk-zzzz0000", "chk-zzzzffff") == []


def test_feedback_is_found_audited_and_summarised(
    store: DuckDBRecordStore, checker: SafetyService, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_demo_patients(store)
    service = SafetyService(knowledge=checker.knowledge, resolver=checker.resolver, store=store)
    lines = (PrescriptionLine(text="Clarithromycin 500mg"),)
    report = service.check(CheckRequest(patient_id=DEMO_CARDIOVASCULAR, prescription=Prescription(lines=lines)))
    body, _ = CardsEncoder().encode(report, ["MedicationRequest/draft-0"], "en")
    cards = json.loads(body)["cards"]
    critical = next(c for c in cards if c["indicator"] == "critical")
    feedback = {
        "feedback": [
            {
                "card": critical["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": critical["overrideReasons"][0]},
                "outcomeTimestamp": "2026-12-06T09:30:00Z",
            },
            {"card": critical["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-06T09:31:00Z"},
        ]
    }
    assert record_feedback(service, parse_feedback(feedback), PRESCRIBER, CdsMetrics()) == 2
    rows = [r for r in store.audit_events(DEMO_CARDIOVASCULAR) if r.action == "cds_feedback"]
    conflict_id = critical["extension"]["vn.rxsafe"]["conflictId"]
    reason = critical["overrideReasons"][0]["code"]
    assert [(r.subject, r.outcome) for r in rows] == [
        (f"{report.check_id}/{conflict_id}", f"overridden:{reason}"),
        (f"{report.check_id}/{conflict_id}", "accepted"),
    ]
    assert store.verify_audit().ok
    # `rxsafe report alerts` counts it from the same rows and stored checks.
    summary = summarize_feedback(store.audit_events(), store.checks_since(""))
    assert summary.outcomes == {"overridden": 1, "accepted": 1}
    assert summary.reasons == {reason: 1}
    assert sum(summary.overridden_by_rule.values()) == 1
    if isinstance(store, PostgresRecordStore):
        # `rxsafe report alerts --store postgresql://…` reads the same figures while the service could be running.
        url = url_with_schema(str(store._schema))
        args = argparse.Namespace(check_id="alerts", workload=False, db=None, since="", store=url)
        assert report_cli.run(args) == 0
        printed = capsys.readouterr().out
        assert "CDS Hooks feedback: 2 (accepted 1, overridden 1)" in printed
        assert f"override reasons: {reason} 1" in printed
