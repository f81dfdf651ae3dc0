"""The HL7 CDS Hooks 2.0 facade over HTTP: discovery, the order-select and order-sign services, feedback.

FHIR R4 and CDS Hooks JSON stay in this package (``fhir_input`` reads requests, ``cards`` writes answers), as
protobuf stays in ``rxsafe.service``; both run the same ``SafetyService``. Starlette (routing, requests) on uvicorn
(the ASGI server), on the event loop the gRPC server already runs.
"""
