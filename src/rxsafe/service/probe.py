"""``python -m rxsafe.service.probe [HOST:PORT]``: exits 0 when the server answers SERVING, else 1.

For container health checks and exec probes, where no ``grpc_health_probe`` binary is installed. Health needs no
credentials and has its own path through the server (service.budgets), so a busy server still passes.
"""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def probe(address: str, timeout: float = 3.0) -> bool:
    """True when ``address`` answers ``grpc.health.v1.Health/Check`` with SERVING within ``timeout``."""
    with grpc.insecure_channel(address) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


if __name__ == "__main__":
    sys.exit(0 if probe(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051") else 1)
