"""Prints the in-process latency of one check: a new prescription each time, and the same one again (memoised).

Usage: .venv/bin/python -m scripts.check_latency   (the gRPC figures come from `make bench`)
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from google.protobuf import json_format

from rxsafe.bootstrap import build_service
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert

EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "example_request.json"
ROUNDS = 300


def _median_p99(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p99 {ordered[int(len(ordered) * 0.99)] * 1000:.2f} ms"


def main() -> None:
    started = time.perf_counter()
    service = build_service(db=None)
    print(f"build_service (knowledge, vocabulary): {time.perf_counter() - started:.2f} s")
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    distinct, repeated = [], []
    for n in range(ROUNDS):
        body["prescription"]["lines"][1]["text"] = f"Aspirin {50 + n}mg"  # a new prescription: no memo hit
        request = convert.check_request_from_pb(json_format.Parse(json.dumps(body), pb.CheckPrescriptionRequest()))
        t0 = time.perf_counter()
        convert.report_to_pb(service.check(request))
        distinct.append(time.perf_counter() - t0)
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        convert.report_to_pb(service.check(request))
        repeated.append(time.perf_counter() - t0)
    print(f"check + conversion, a new prescription each time: {_median_p99(distinct)}")
    print(f"check + conversion, the same prescription again (memoised): {_median_p99(repeated)}")


if __name__ == "__main__":
    main()
