# rxsafe — the two set-up commands are `make run` and `make test`; everything else is here for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GEN := src/rxsafe/gen/medication_safety_pb2.py
HOST ?= 127.0.0.1
PORT ?= 50051
DB ?= var/rxsafe.duckdb

.PHONY: install run test check knowledge knowledge-check bench clean system-deps soak docker-smoke

install: $(STAMP) $(GEN)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(GEN): $(STAMP) $(wildcard protos/rxsafe/v1/*.proto) scripts/gen_proto.py
	$(BIN)/python scripts/gen_proto.py

run: install
	mkdir -p var
	$(BIN)/rxsafe serve --host $(HOST) --port $(PORT) --db $(DB)

test: install system-deps
	scripts/check

check: test

# Rebuilds the compiled tables in knowledge/ from ../shared/knowledge-sources (deterministic).
knowledge: install
	$(BIN)/python -m rxsafe.knowledge.build

# System packages the clinician's report needs: Pango for WeasyPrint (PDF), a font with Vietnamese coverage, and
# chromium + poppler-utils for the report's screenshot tests. Installs only what is missing (root or sudo);
# quick when everything is present.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "system packages present"; exit 0; fi; \
	command -v apt-get >/dev/null || { echo "missing:$$missing (no apt-get here: install them by hand)"; exit 1; }; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "installing:$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing

bench: install
	$(BIN)/python -m scripts.bench
	$(BIN)/python -m scripts.bench_cds

# Hostile load on a loopback server (~1 min, stops by itself): statuses by code, RSS, p99 and health under overload.
soak: install
	$(BIN)/python -m scripts.soak

# Builds the Docker image and checks it starts and serves; says it skipped where no docker engine is reachable.
docker-smoke:
	scripts/docker_smoke.sh

clean:
	rm -rf $(VENV) src/rxsafe/gen .mypy_cache .ruff_cache .pytest_cache
