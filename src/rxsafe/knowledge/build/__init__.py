"""The deterministic knowledge build: ``python -m rxsafe.knowledge.build`` (``make knowledge``)."""
