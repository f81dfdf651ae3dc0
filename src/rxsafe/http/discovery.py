"""The discovery document (``GET /cds-services``): the two services and the FHIR data each asks to be prefetched."""

from __future__ import annotations

from typing import Any

from rxsafe.http.fhir_input import ORDER_SELECT, ORDER_SIGN

ORDER_SELECT_ID = "rxsafe-order-select"
ORDER_SIGN_ID = "rxsafe-order-sign"
HOOKS = {ORDER_SELECT_ID: ORDER_SELECT, ORDER_SIGN_ID: ORDER_SIGN}

_PATIENT = "{{context.patientId}}"
# What a check reads from the record. LOINC 29463-7 body weight; 2160-0 creatinine in serum or plasma (the codes
# rxsafe.core.facts reads first). Active orders and statements only: ended ones older than the policy's
# look-back would not count, and the EMR should not have to send a whole history.
PREFETCH = {
    "patient": f"Patient/{_PATIENT}",
    "allergies": f"AllergyIntolerance?patient={_PATIENT}",
    "medications": f"MedicationRequest?patient={_PATIENT}&status=active",
    "statements": f"MedicationStatement?patient={_PATIENT}&status=active",
    "conditions": f"Condition?patient={_PATIENT}",
    "weight": f"Observation?patient={_PATIENT}&code=http://loinc.org|29463-7&_sort=-date&_count=1",
    "creatinine": f"Observation?patient={_PATIENT}&code=http://loinc.org|2160-0&_sort=-date&_count=1",
}


def discovery() -> dict[str, Any]:
    """The CDS Hooks 2.0 discovery response."""
    return {
        "services": [
            {
                "hook": ORDER_SELECT,
                "id": ORDER_SELECT_ID,
                "title": "rxsafe medication safety (order-select)",
                "description": "Checks the draft medication orders against the patient's allergies, current "
                "medications, diagnoses, weight and kidney function as each order is selected.",
                "prefetch": PREFETCH,
                "usageRequirements": "Send the prefetch, or register the patient's personal ID (CCCD) with rxsafe's "
                "record store; give an rxsafe API key or a JWT from a registered EMR.",
            },
            {
                "hook": ORDER_SIGN,
                "id": ORDER_SIGN_ID,
                "title": "rxsafe medication safety (order-sign)",
                "description": "Checks the medication orders about to be signed; interruptive alerts (critical "
                "cards) must be overridden with a coded reason, reported back through the feedback endpoint.",
                "prefetch": PREFETCH,
                "usageRequirements": "As rxsafe-order-select.",
            },
        ]
    }
