"""CDS Hooks 2.0 over HTTP against a real server on a real port (httpx), every answer checked against its schema.

The request shapes are the specification's examples (discovery, an order-sign call with draftOrders, feedback),
filled with the demo patients. The same prescription through gRPC CheckPrescription must give the same verdict and
the same conflicts.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from prometheus_client.parser import text_string_to_metric_families

from rxsafe.ehr.seed import DEMO_ALLERGY_NOT_RECORDED, DEMO_CARDIOVASCULAR, DEMO_PENICILLIN_CHILD, DEMO_WARFARIN_ELDERLY
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service.access import AccessFile, Role
from tests.e2e.conftest import RunningServer, start_server, stop_server

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "cds-hooks"
SIGN = "/cds-services/rxsafe-order-sign"
SELECT = "/cds-services/rxsafe-order-select"

# (text, dose text, quantity, days) per line, as a prescriber writes them.
Line = tuple[str, str, float | None, int | None]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def conforms(response: httpx.Response, schema: str) -> dict[str, Any]:
    """The JSON body, after checking it against ``docs/cds-hooks/<schema>.schema.json``."""
    body: dict[str, Any] = response.json()
    jsonschema.validate(body, _schema(schema), cls=jsonschema.Draft202012Validator)
    return body


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    issue: dict[str, Any] = conforms(response, "operation-outcome")["issue"][0]
    return issue


def medication_request(n: int, line: Line, patient: str = "example") -> dict[str, Any]:
    text, dose, quantity, days = line
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": f"draft-{n}",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": text},
        "subject": {"reference": f"Patient/{patient}"},
    }
    if dose:
        resource["dosageInstruction"] = [{"text": dose}]
    dispense: dict[str, Any] = {}
    if quantity is not None:
        dispense["quantity"] = {"value": quantity}
    if days is not None:
        dispense["expectedSupplyDuration"] = {
            "value": days,
            "unit": "days",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        }
    if dispense:
        resource["dispenseRequest"] = dispense
    return resource


def hook_body(hook: str, patient_id: str, lines: list[Line], **extra: Any) -> dict[str, Any]:
    """A CDS Hooks request as in the specification's order-sign / order-select examples."""
    context: dict[str, Any] = {
        "userId": "Practitioner/bs-0042",
        "patientId": patient_id,
        "encounterId": "Encounter/kham-1",
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": medication_request(n, line, patient_id)} for n, line in enumerate(lines)],
        },
    }
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/draft-{len(lines) - 1}"]
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def cds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("cds") / "rxsafe.duckdb", "--http-port", "0", "--metrics-port", "0")
    yield running
    stop_server(running)


def scrape(server: RunningServer) -> str:
    """The process's /metrics, from its --metrics-port."""
    (address,) = [
        json.loads(line)["address"]
        for line in list(server.logs)
        if line.startswith("{") and json.loads(line).get("event") == "metrics"
    ]
    with httpx.Client(timeout=10) as plain:
        return plain.get(f"http://{address}/metrics").text


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` with ``labels`` (the other labels may be anything); 0 when absent."""
    return sum(
        float(sample.value)
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def http_address(server: RunningServer) -> str:
    for line in list(server.logs):
        if line.startswith("{") and json.loads(line).get("event") == "cds serving":
            return str(json.loads(line)["address"])
    raise AssertionError("no 'cds serving' line in the server log")


@pytest.fixture(scope="module")
def client(cds: RunningServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {cds.key}"}
    with httpx.Client(base_url=f"http://{http_address(cds)}", headers=headers, timeout=30) as c:
        yield c


def test_discovery_lists_both_services_with_their_prefetch(client: httpx.Client) -> None:
    response = client.get("/cds-services", headers={"Authorization": ""})  # open: no patient data in it
    assert response.status_code == 200
    services = {s["id"]: s for s in conforms(response, "discovery")["services"]}
    assert services["rxsafe-order-select"]["hook"] == "order-select"
    assert services["rxsafe-order-sign"]["hook"] == "order-sign"
    prefetch = services["rxsafe-order-sign"]["prefetch"]
    assert set(prefetch) == {"patient", "allergies", "medications", "statements", "conditions", "weight", "creatinine"}
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "status=active" in prefetch["medications"]
    assert "29463-7" in prefetch["weight"]
    assert "2160-0" in prefetch["creatinine"]


def test_order_sign_for_a_stored_patient_gives_a_critical_card_with_evidence(client: httpx.Client) -> None:
    lines: list[Line] = [
        ("Clarithromycin 500mg", "1 viên/lần * 2 lần/ngày", 14, 7),
        ("Paracetamol 500mg", "", None, None),
    ]
    response = client.post(SIGN, json=hook_body("order-sign", DEMO_CARDIOVASCULAR, lines))
    assert response.status_code == 200, response.text
    body = conforms(response, "cards-response")
    check = body["extension"]["vn.rxsafe"]
    assert check["verdict"] == "BLOCK"
    critical = [c for c in body["cards"] if c["indicator"] == "critical"]
    assert critical, body["cards"]
    card = next(c for c in critical if "simvastatin" in c["summary"])
    assert len(card["summary"]) < 140
    assert card["source"]["label"].startswith(f"rxsafe {check['knowledgeVersion']}")
    assert "QĐ 5948/QĐ-BYT" in card["source"]["label"]
    assert "Simvastatin 20mg" in card["detail"]  # the record entry that caused it
    codes = {r["code"] for r in card["overrideReasons"]}
    assert {"BENEFIT_OUTWEIGHS_RISK", "WILL_MONITOR"} <= codes
    assert "ALLERGY_HISTORY_DOUBTFUL" not in codes  # an interaction, not an allergy
    assert card["extension"]["vn.rxsafe"]["orders"] == ["MedicationRequest/draft-0"]
    assert "suggestions" not in card


def _grpc_conflicts(server: RunningServer, patient_id: str, lines: list[Line]) -> tuple[str, set[tuple[Any, ...]]]:
    request = pb.CheckPrescriptionRequest(
        patient_id=patient_id,
        prescription=pb.Prescription(
            lines=[pb.PrescriptionLine(text=t, dose_text=d, quantity=q or 0, days=days or 0) for t, d, q, days in lines]
        ),
    )
    response = server.stub().CheckPrescription(request, timeout=30)
    verdict = pb.Verdict.Name(response.verdict).removeprefix("VERDICT_")
    conflicts = {
        (
            c.id,
            pb.ConflictKind.Name(c.kind).removeprefix("CONFLICT_KIND_"),
            pb.Severity.Name(c.severity).removeprefix("SEVERITY_"),
            c.interruptive,
            tuple(f"MedicationRequest/draft-{i}" for i in c.line_indexes),
        )
        for c in response.conflicts
    }
    return verdict, conflicts


@pytest.mark.parametrize(
    ("patient_id", "lines"),
    [
        (
            DEMO_CARDIOVASCULAR,
            [("Clarithromycin 500mg", "1 viên/lần * 2 lần/ngày", 14, 7), ("Ibuprofen 400mg", "", None, None)],
        ),
        (DEMO_PENICILLIN_CHILD, [("Amoxicilin 250mg (Hagimox)", "1 gói/lần * 3 lần/ngày", 21, 7)]),
        (
            DEMO_WARFARIN_ELDERLY,
            [("Aspirin 81mg", "", None, None), ("Cotrimoxazol 480mg", "2 viên/lần * 2 lần/ngày", 20, 5)],
        ),
        (DEMO_ALLERGY_NOT_RECORDED, [("Paracetamol 500mg", "1 viên/lần * 3 lần/ngày", None, None)]),
        (DEMO_CARDIOVASCULAR, [("Thuốc không có thật 10mg", "", None, None)]),
    ],
)
def test_same_verdict_and_conflicts_as_check_prescription(
    cds: RunningServer, client: httpx.Client, patient_id: str, lines: list[Line]
) -> None:
    response = client.post(SIGN, json=hook_body("order-sign", patient_id, lines))
    assert response.status_code == 200, response.text
    body = conforms(response, "cards-response")
    check = body["extension"]["vn.rxsafe"]
    http_conflicts = {
        (c["id"], c["kind"], c["severity"], c["interruptive"], tuple(c["orders"])) for c in check["conflicts"]
    }
    verdict, grpc_conflicts = _grpc_conflicts(cds, patient_id, lines)
    assert check["verdict"] == verdict
    assert http_conflicts == grpc_conflicts
    # Every conflict is on a card: its own (act/review) or listed on the collapsed info card.
    carded = {c["extension"]["vn.rxsafe"].get("conflictId") for c in body["cards"]}
    carded |= {i for c in body["cards"] for i in c["extension"]["vn.rxsafe"].get("conflictIds", [])}
    assert {c[0] for c in http_conflicts} <= carded
    if verdict != "PASS":
        assert body["cards"], "a verdict other than PASS never comes without a card"


def test_unrecorded_allergy_history_and_unknown_drug_get_warning_cards(client: httpx.Client) -> None:
    lines: list[Line] = [("Thuốc không có thật 10mg", "", None, None)]
    body = conforms(client.post(SIGN, json=hook_body("order-sign", DEMO_ALLERGY_NOT_RECORDED, lines)), "cards-response")
    notices = {c["extension"]["vn.rxsafe"].get("notice") for c in body["cards"] if c["indicator"] == "warning"}
    assert {"ALLERGY_STATUS_UNKNOWN", "UNRESOLVED_LINE"} <= notices
    assert body["extension"]["vn.rxsafe"]["verdict"] != "PASS"


def _prefetch(patient_id: str) -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "http://fhir.hl7.org.vn/core/sid/cccd", "value": patient_id}],
        "gender": "male",
        "birthDate": "2019-06-15",
    }
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p1"},
        "code": {"text": "Penicilin"},
        "reaction": [{"manifestation": [{"text": "nổi mề đay"}]}],
    }
    weight = {
        "resourceType": "Observation",
        "id": "w1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}], "text": "Cân nặng"},
        "valueQuantity": {"value": 20, "unit": "kg"},
        "effectiveDateTime": "2026-11-20",
    }

    def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}

    return {
        "patient": patient,
        "allergies": searchset(allergy),
        "medications": searchset(),
        "statements": searchset(),
        "conditions": searchset(),
        "weight": searchset(weight),
        "creatinine": None,
    }


def test_order_select_with_prefetch_checks_the_prefetched_record(client: httpx.Client) -> None:
    # A patient the store does not hold: everything comes from the prefetch.
    patient_id = "001219000777"
    lines: list[Line] = [("Paracetamol 250mg", "", None, None), ("Amoxicilin 250mg", "", None, None)]
    body = hook_body("order-select", "p1", lines, prefetch=_prefetch(patient_id))
    answer = conforms(client.post(SELECT, json=body), "cards-response")
    allergy = [c for c in answer["cards"] if c["extension"]["vn.rxsafe"].get("kind") == "ALLERGY"]
    assert allergy and allergy[0]["indicator"] == "critical"
    assert allergy[0]["extension"]["vn.rxsafe"]["orders"] == ["MedicationRequest/draft-1"]
    assert "Penicilin" in allergy[0]["detail"]


def test_prefetched_record_gives_the_same_verdict_and_conflicts_as_the_inline_grpc_check(
    cds: RunningServer, client: httpx.Client
) -> None:
    started = (date.today() - timedelta(days=3)).isoformat()
    prefetch = _prefetch("001944000123")
    prefetch["patient"].update(birthDate="1944-03-02", gender="female")
    warfarin = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "Warfarin 5mg"},
        "subject": {"reference": "Patient/p1"},
        "authoredOn": started,
        "dosageInstruction": [{"text": "1 viên/lần * 1 lần/ngày"}],
        "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "unit": "days", "code": "d"}},
    }
    prefetch["medications"]["entry"] = [{"resource": warfarin}]
    prefetch["weight"]["entry"][0]["resource"]["valueQuantity"] = {"value": 48, "unit": "kg"}
    lines: list[Line] = [("Aspirin 81mg", "1 viên/lần * 1 lần/ngày", None, None), ("Amoxicilin 500mg", "", None, None)]
    answer = conforms(client.post(SIGN, json=hook_body("order-sign", "p1", lines, prefetch=prefetch)), "cards-response")
    check = answer["extension"]["vn.rxsafe"]
    inline = pb.Patient(
        patient_id="001944000123",
        birth_date="1944-03-02",
        sex=pb.SEX_FEMALE,
        allergy_status=pb.ALLERGY_STATUS_LISTED,
        allergies=[pb.Allergy(allergen="Penicilin", reaction="nổi mề đay")],
        medications=[
            pb.Medication(text="Warfarin 5mg", start_date=started, days=30, dose_text="1 viên/lần * 1 lần/ngày")
        ],
        weight_kg=48,
    )
    request = pb.CheckPrescriptionRequest(
        patient=inline,
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=t, dose_text=d) for t, d, _, _ in lines]),
    )
    response = cds.stub().CheckPrescription(request, timeout=30)
    assert check["verdict"] == pb.Verdict.Name(response.verdict).removeprefix("VERDICT_")
    # Record entry ids differ (FHIR keys against list positions), so conflicts are compared by what they say.
    grpc_conflicts = sorted(
        (
            pb.ConflictKind.Name(c.kind).removeprefix("CONFLICT_KIND_"),
            pb.Severity.Name(c.severity).removeprefix("SEVERITY_"),
            c.interruptive,
            tuple(f"MedicationRequest/draft-{i}" for i in c.line_indexes),
        )
        for c in response.conflicts
    )
    http_conflicts = sorted(
        (c["kind"], c["severity"], c["interruptive"], tuple(c["orders"])) for c in check["conflicts"]
    )
    assert http_conflicts == grpc_conflicts
    kinds = {c[0] for c in http_conflicts}
    assert {"ALLERGY", "INTERACTION"} <= kinds  # penicillin allergy; aspirin with warfarin


def test_a_patient_neither_prefetched_nor_stored_is_412(client: httpx.Client) -> None:
    issue = outcome(
        client.post(SIGN, json=hook_body("order-sign", "009999999999", [("Paracetamol 500mg", "", None, None)])), 412
    )
    assert issue["code"] == "not-found"


@pytest.mark.parametrize(
    ("mutate", "element"),
    [
        (lambda b: b["context"].pop("draftOrders"), "context.draftOrders"),
        (lambda b: b["context"].pop("userId"), "context.userId"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b.update(hook="patient-view"), "hook"),
        (
            lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].pop("status"),
            "context.draftOrders.entry[0].resource.status",
        ),
        (
            lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(dosageInstruction="x"),
            "context.draftOrders.entry[0].resource.dosageInstruction",
        ),
        (
            lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].pop("medicationCodeableConcept"),
            "context.draftOrders.entry[0].resource.medicationCodeableConcept",
        ),
        (
            lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(intent=7),
            "context.draftOrders.entry[0].resource.intent",
        ),
        (lambda b: b.update(prefetch={"patient": {"resourceType": "Observation"}}), "prefetch.patient"),
    ],
)
def test_bad_input_is_400_naming_the_element(client: httpx.Client, mutate: Any, element: str) -> None:
    body = hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Paracetamol 500mg", "", None, None)])
    mutate(body)
    issue = outcome(client.post(SIGN, json=body), 400)
    assert issue["expression"][0].startswith(element), issue


def test_hostile_bodies_are_400_never_500(client: httpx.Client) -> None:
    body = hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Paracetamol 500mg", "1 viên/lần", None, None)])
    body["context"]["draftOrders"]["entry"][0]["resource"]["dosageInstruction"] = None
    issue = outcome(client.post(SIGN, json=body), 400)
    assert issue["expression"] == ["context.draftOrders.entry[0].resource.dosageInstruction"]
    deep = b"[" * 100_000 + b"]" * 100_000
    for raw in (deep, b"[]", b'"x"', b"null", b'{"hook": "order-sign"}', b"\xff\xfe"):
        outcome(client.post(SIGN, content=raw, headers={"content-type": "application/json"}), 400)
    for feedback in (None, [], {"feedback": [None]}, {"feedback": [{"card": 5}]}, {"feedback": "x"}):
        outcome(client.post(f"{SIGN}/feedback", json=feedback), 400)


def test_a_bad_prefetch_resource_is_named_not_skipped(client: httpx.Client) -> None:
    prefetch = _prefetch("001219000777")
    prefetch["allergies"]["entry"][0]["resource"]["reaction"] = [{"manifestation": "nổi mề đay"}]  # not a list
    body = hook_body("order-sign", "p1", [("Paracetamol 250mg", "", None, None)], prefetch=prefetch)
    issue = outcome(client.post(SIGN, json=body), 400)
    assert issue["expression"][0].startswith("prefetch.allergies.entry[0].resource.reaction"), issue


def test_not_json_unknown_service_and_wrong_method_are_operation_outcomes(client: httpx.Client) -> None:
    assert (
        outcome(client.post(SIGN, content=b"{not json", headers={"content-type": "application/json"}), 400)["code"]
        == "structure"
    )
    assert outcome(client.post("/cds-services/nope", json={}), 404)["code"] == "not-found"
    outcome(client.get(SIGN), 405)
    outcome(client.get("/nothing-here"), 404)


def test_credentials_and_roles_are_those_of_the_grpc_api(cds: RunningServer, client: httpx.Client) -> None:
    body = hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Paracetamol 500mg", "", None, None)])
    assert outcome(client.post(SIGN, json=body, headers={"Authorization": ""}), 401)["code"] == "login"
    assert outcome(client.post(SIGN, json=body, headers={"Authorization": "Bearer rxsafe_nope_nope"}), 401)
    access_path = cds.db.with_name("access.json")
    access = AccessFile.load(access_path)
    reviewer = access.create_key((Role.REVIEWER,), "audit tool")
    access.save(access_path)  # the HTTP side reads the access file again when it changes
    assert (
        outcome(client.post(SIGN, json=body, headers={"Authorization": f"Bearer {reviewer}"}), 403)["code"]
        == "forbidden"
    )


def test_feedback_overridden_with_a_reason_is_audited_and_counted(cds: RunningServer, client: httpx.Client) -> None:
    lines: list[Line] = [("Clarithromycin 500mg", "", None, None)]
    answer = conforms(client.post(SIGN, json=hook_body("order-sign", DEMO_CARDIOVASCULAR, lines)), "cards-response")
    card = next(c for c in answer["cards"] if c["indicator"] == "critical")
    conflict_id = card["extension"]["vn.rxsafe"]["conflictId"]
    check_id = answer["extension"]["vn.rxsafe"]["checkId"]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "statin paused for the course"},
                "outcomeTimestamp": "2026-12-06T09:30:00Z",
            }
        ]
    }
    response = client.post(f"{SIGN}/feedback", json=feedback)
    assert response.status_code == 200, response.text
    conforms(response, "feedback-response")
    trail = cds.stub(purpose="audit").GetAuditTrail(pb.GetAuditTrailRequest(patient_id=DEMO_CARDIOVASCULAR), timeout=30)
    rows = [e for e in trail.events if e.action == "cds_feedback"]
    assert rows and rows[-1].subject == f"{check_id}/{conflict_id}"
    assert rows[-1].outcome == f"overridden:{card['overrideReasons'][0]['code']}"
    assert "statin" not in rows[-1].outcome  # no free text in the audit trail
    assert trail.chain_intact
    checked = [e for e in trail.events if e.action == "check" and e.subject == check_id]
    assert checked and checked[0].user == "Practitioner/bs-0042"  # the hook's userId acts, for the audit trail
    metrics = scrape(cds)
    overridden = {"outcome": "overridden", "reason": "BENEFIT_OUTWEIGHS_RISK", "kind": "INTERACTION"}
    assert _sample(metrics, "rxsafe_cds_feedback_total", **overridden) >= 1
    assert _sample(metrics, "rxsafe_cds_cards_total", service="rxsafe-order-sign", indicator="critical") >= 1


def test_cds_and_grpc_metrics_are_scraped_together_from_the_metrics_port(
    cds: RunningServer, client: httpx.Client
) -> None:
    body = hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Clarithromycin 500mg", "", None, None)])
    answer = client.post(SIGN, json=body)
    assert answer.status_code == 200
    card = answer.json()["cards"][0]["uuid"]
    accepted = {"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-12-06T09:30:00Z"}
    assert client.post(f"{SIGN}/feedback", json={"feedback": [accepted]}).status_code == 200
    outcome(client.post("/cds-services/nope", json={}), 404)
    cds.stub().CheckPrescription(
        pb.CheckPrescriptionRequest(
            patient_id=DEMO_CARDIOVASCULAR,
            prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Aspirin 81mg")]),
        ),
        timeout=30,
    )
    metrics = scrape(cds)
    # One registry per process: the CDS counters beside gRPC's, the alert metrics and the process's own.
    check = "/rxsafe.v1.MedicationSafety/CheckPrescription"
    assert _sample(metrics, "rxsafe_grpc_calls_total", method=check, code="OK") >= 1
    assert _sample(metrics, "rxsafe_checks_total") >= 2  # checks from both interfaces, counted by the service
    assert _sample(metrics, "rxsafe_cds_cards_total", service="rxsafe-order-sign", indicator="critical") >= 1
    assert _sample(metrics, "rxsafe_http_requests_total", route="/cds-services/{service_id}", status="200") >= 1
    assert _sample(metrics, "rxsafe_cds_feedback_total", outcome="accepted", reason="") >= 1
    assert (
        _sample(metrics, "rxsafe_http_requests_total", route="/cds-services/{service_id}/feedback", status="200") >= 1
    )
    assert _sample(metrics, "rxsafe_http_requests_total", route="/cds-services/{service_id}", status="404") >= 1
    assert _sample(metrics, "rxsafe_http_request_duration_seconds_count", route="/cds-services/{service_id}") >= 2
    assert "process_resident_memory_bytes" in metrics
    # The HTTP port serves no /metrics of its own (it is shared by the workers; see http.metrics).
    outcome(client.get("/metrics"), 404)
    assert _sample(scrape(cds), "rxsafe_http_requests_total", route="unmatched", status="404") >= 1


def test_feedback_with_an_unknown_card_or_reason_writes_nothing(client: httpx.Client) -> None:
    answer = conforms(
        client.post(
            SIGN, json=hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Clarithromycin 500mg", "", None, None)])
        ),
        "cards-response",
    )
    card = answer["cards"][0]["uuid"]
    good = {"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-12-06T09:30:00Z"}
    unknown = {**good, "card": str(uuid.uuid4())}
    issue = outcome(client.post(f"{SIGN}/feedback", json={"feedback": [good, unknown]}), 400)
    assert issue["expression"] == ["feedback[1].card"]
    bad_reason = {
        **good,
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:rxsafe:override-reason", "code": "BORED"}},
    }
    assert outcome(client.post(f"{SIGN}/feedback", json={"feedback": [bad_reason]}), 400)["expression"] == [
        "feedback[0].overrideReason.reason.code"
    ]
    assert outcome(client.post(f"{SIGN}/feedback", json={"feedback": [{**good, "outcome": "maybe"}]}), 400)[
        "expression"
    ] == ["feedback[0].outcome"]


# --- the EMR's JWT -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emr_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def jwt_server(
    tmp_path_factory: pytest.TempPathFactory, emr_key: ec.EllipticCurvePrivateKey
) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("cds-jwt")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(emr_key.public_key()))
    public.update(kid="emr-1", alg="ES384", use="sig")
    (folder / "emr-jwks.json").write_text(json.dumps({"keys": [public]}), encoding="utf-8")
    config = {
        "clients": [
            {"iss": "https://emr.example", "jwks_file": "emr-jwks.json", "roles": ["prescriber"], "client": "EMR test"}
        ]
    }
    (folder / "cds-jwt.json").write_text(json.dumps(config), encoding="utf-8")
    running = start_server(folder / "rxsafe.duckdb", "--http-port", "0", "--cds-jwt", str(folder / "cds-jwt.json"))
    yield running
    stop_server(running)


def _token(key: ec.EllipticCurvePrivateKey, aud: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://emr.example",
        "aud": aud,
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sub": "emr-client",
    }
    payload.update(claims)
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": "emr-1"})


def test_the_emr_jwt_is_verified(jwt_server: RunningServer, emr_key: ec.EllipticCurvePrivateKey) -> None:
    base = f"http://{http_address(jwt_server)}"
    url = base + SIGN
    body = hook_body("order-sign", DEMO_CARDIOVASCULAR, [("Clarithromycin 500mg", "", None, None)])
    token = _token(emr_key, url)
    with httpx.Client(base_url=base, timeout=30) as c:
        ok = c.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        conforms(ok, "cards-response")
        assert (
            "replay"
            in outcome(c.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"}), 401)["diagnostics"]
        )
        for bad in (
            _token(emr_key, base + "/cds-services/other"),
            _token(emr_key, url, exp=int(time.time()) - 3600),
            _token(emr_key, url, iss="https://intruder.example"),
            _token(ec.generate_private_key(ec.SECP384R1()), url),
        ):
            outcome(c.post(SIGN, json=body, headers={"Authorization": f"Bearer {bad}"}), 401)
        # API keys keep working beside the JWT.
        keyed = c.post(SIGN, json=body, headers={"Authorization": f"Bearer {jwt_server.key}"})
        assert keyed.status_code == 200


def test_grpc_still_answers_beside_http(cds: RunningServer) -> None:
    with pytest.raises(grpc.RpcError):
        cds.stub(key="").CheckPrescription(pb.CheckPrescriptionRequest(), timeout=10)
