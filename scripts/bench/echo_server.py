"""The framework ceiling: a bare grpc.aio server that answers every check with the same fixed response.

    python -m scripts.bench.echo_server [--host 127.0.0.1] [--port 0]

It is built without protoc from a generic handler over the rxsafe message types, so the wire cost per call (parse a
``CheckPrescriptionRequest``, serialize a ``CheckPrescriptionResponse``) is the service's own, and whatever the
service takes beyond this is the checker. Server options and the concurrency cap are imported from
``rxsafe.service.server`` so the two servers cannot drift apart. Logs one JSON "serving" line, as rxsafe does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

import grpc

from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service.server import MAX_CONCURRENT_RPCS, MAX_MESSAGE_BYTES
from scripts.bench.workload import echo_response

SERVICE = "rxsafe.bench.v1.Echo"
METHOD = "CheckPrescription"
PATH = f"/{SERVICE}/{METHOD}"


def build_echo_server(address: str) -> tuple[grpc.aio.Server, int]:
    """A configured, not yet started echo server bound to ``address``."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
    )
    answer = echo_response()

    async def check(request: pb.CheckPrescriptionRequest, context: grpc.aio.ServicerContext[object, object]) -> object:
        # The request is parsed (by the deserializer) and the answer serialized on every call, as in the real
        # service; the answer object itself is built once, because building it is the checker's job, not gRPC's.
        return answer

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            METHOD: grpc.unary_unary_rpc_method_handler(
                check,
                request_deserializer=pb.CheckPrescriptionRequest.FromString,
                response_serializer=pb.CheckPrescriptionResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port(address)
    return server, port


async def _serve(host: str, port: int) -> None:
    server, bound = build_echo_server(f"{host}:{port}")
    await server.start()
    print(json.dumps({"event": "serving", "address": f"{host}:{bound}", "service": SERVICE}), file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1.0)


def main() -> None:
    """Serves until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()
