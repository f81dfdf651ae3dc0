# rxsafe service image. The compiled knowledge tables are committed under knowledge/, so the image needs no
# access to the knowledge sources. Build: docker build -t rxsafe .   Run: docker run -p 50051:50051 rxsafe
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
# Binding beyond loopback: put the service behind TLS (a sidecar or mesh) in production.
CMD ["rxsafe", "serve", "--host", "0.0.0.0", "--port", "50051", "--db", "/app/var/rxsafe.duckdb"]
