"""The application layer: one check or commit end to end (load, resolve, check, persist).

Shared by the gRPC servicer and the CLI. Synchronous; the servicer runs it off the event loop.
"""
