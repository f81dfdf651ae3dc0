"""The wire carries each conflict's tier, reason and evidence strength, the tier counts and the tier policy."""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import json_format

from rxsafe.bootstrap import build_service
from rxsafe.core.enums import DisplayTier
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert

EXAMPLE = Path(__file__).parents[1] / "data" / "example_request.json"


def test_tiers_and_strength_on_the_wire() -> None:
    service = build_service(db=None)
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    request = convert.check_request_from_pb(json_format.Parse(json.dumps(body), pb.CheckPrescriptionRequest()))
    report = service.check(request)
    assert report.conflicts
    message = pb.CheckPrescriptionResponse.FromString(convert.serialize_check_response(convert.report_to_wire(report)))
    assert message.tier_policy == report.tier_policy != ""
    counts = {t: sum(1 for c in report.conflicts if c.tier is t) for t in DisplayTier}
    assert (message.tier_counts.act, message.tier_counts.review, message.tier_counts.info) == (
        counts[DisplayTier.ACT],
        counts[DisplayTier.REVIEW],
        counts[DisplayTier.INFO],
    )
    for conflict, wire in zip(report.conflicts, message.conflicts, strict=True):
        assert pb.DisplayTier.Name(wire.tier) == f"DISPLAY_TIER_{conflict.tier.name}"
        assert wire.tier_reason.en == conflict.tier_reason.en != ""
        if conflict.strength is None:
            assert not wire.HasField("evidence_strength")
            continue
        strength = wire.evidence_strength
        assert strength.label == conflict.strength.label
        assert strength.independent_sources == conflict.strength.independent_sources
        assert [s.source for s in strength.support] == [s.source for s in conflict.strength.support]
        ungraded = [s for s in strength.support if s.severity == pb.SEVERITY_UNSPECIFIED]
        assert len(ungraded) == sum(1 for s in conflict.strength.support if s.severity is None)
