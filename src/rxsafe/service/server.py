"""The gRPC server: the servicer plus health, reflection, a message-size limit and bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from rxsafe.app.service import SafetyService
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service.servicer import MedicationSafetyServicer

log = logging.getLogger("rxsafe.service")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["MedicationSafety"].full_name
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Past this many calls in flight, new calls are refused with RESOURCE_EXHAUSTED instead of queueing without bound.
MAX_CONCURRENT_RPCS = 256
# On SIGTERM, calls in flight get this long to finish.
GRACE_SECONDS = 10.0


def build_server(
    service: SafetyService, address: str, *, reuse_port: bool = False
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A configured, not yet started server bound to ``address`` ("127.0.0.1:0" picks a free port)."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
    )
    pb_grpc.add_MedicationSafetyServicer_to_server(MedicationSafetyServicer(service), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = server.add_insecure_port(address)
    return server, port, health_servicer


async def serve(service: SafetyService, host: str, port: int, *, reuse_port: bool = False) -> None:
    """Serves until SIGTERM or SIGINT, then drains calls in flight (up to ``GRACE_SECONDS``)."""
    server, bound, health_servicer = build_server(service, f"{host}:{port}", reuse_port=reuse_port)
    await server.start()
    serving = health_pb2.HealthCheckResponse.SERVING
    await health_servicer.set("", serving)
    await health_servicer.set(SERVICE_NAME, serving)
    log.info("serving", extra={"address": f"{host}:{bound}", "knowledge_version": service.knowledge.version})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", extra={"grace_seconds": GRACE_SECONDS})
    await health_servicer.enter_graceful_shutdown()
    await server.stop(GRACE_SECONDS)
    log.info("stopped")
