"""Runs last in the end-to-end suite: every log line the shared server wrote carries no personal data.

Named ``test_zz_…`` so that it runs after the other end-to-end modules have used the same server.
"""

from __future__ import annotations

import json
from datetime import date

from rxsafe.ehr.seed import DEMO_PATIENT_IDS, demo_patients
from tests.e2e.conftest import RunningServer


def test_server_logs_carry_no_names_ids_or_record_text(server: RunningServer) -> None:
    server.stub().GetCheck  # noqa: B018 -- make sure the shared server exists even when run alone
    patients = demo_patients(date.today())
    forbidden = set(DEMO_PATIENT_IDS)
    for patient in patients:
        forbidden.add(patient.name)
        forbidden.update(a.allergen for a in patient.allergies)
        forbidden.update(m.text for m in patient.medications)
    assert len(server.logs) > 10
    for line in server.logs:
        assert line.startswith("{"), f"not a structured log line: {line[:80]}"
        json.loads(line)
        for secret in forbidden:
            assert secret not in line, f"personal data in a log line: {line[:200]}"
