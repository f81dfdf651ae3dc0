"""``make bench``: the rxsafe service against a bare grpc.aio echo server, plus start-up, matching and import figures.

    .venv/bin/python -m scripts.bench [--duration 5] [--quick] [--patients 2000]

Modules: ``workload`` (the synthetic patient, the requests, the echo response), ``procs`` (server subprocesses and
their clean-up), ``echo_server`` (the framework ceiling), ``loadgen`` (h2load and the grpc.aio client), ``micro``
(in-process name resolution and record import), ``report`` (formatting and targets), ``__main__`` (the run).
"""
