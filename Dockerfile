# rxsafe service image. The compiled knowledge tables are committed under knowledge/, so the image needs no
# access to the knowledge sources. Build: docker build -t rxsafe .   Run: docker run -p 50051:50051 rxsafe
# It serves plaintext gRPC behind a TLS-terminating proxy (--behind-tls-proxy; README "Docker"): publish the port
# only to the proxy. For TLS in the container itself, mount the PEM files and override the command with
# --tls-cert/--tls-key (and --tls-client-ca for mutual TLS) instead of --behind-tls-proxy.
FROM python:3.11-slim

# Pango and a font with Vietnamese glyphs: the clinician's report as PDF (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY scripts/gen_proto.py ./scripts/gen_proto.py
COPY src ./src
COPY knowledge ./knowledge
RUN pip install --no-cache-dir -e . && python scripts/gen_proto.py

# The record store lives on a volume; the service seeds demo patients only into an empty store.
VOLUME ["/app/var"]
EXPOSE 50051
# Health needs no credentials and is answered even under overload (service.budgets).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s CMD ["python", "-m", "rxsafe.service.probe", "127.0.0.1:50051"]
# No keys yet: the first one is written to /app/var/dev.key (owner-only; `docker exec … cat /app/var/dev.key`).
CMD ["rxsafe", "serve", "--host", "0.0.0.0", "--port", "50051", "--db", "/app/var/rxsafe.duckdb", "--behind-tls-proxy"]
