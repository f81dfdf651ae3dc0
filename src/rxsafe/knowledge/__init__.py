"""The knowledge base: the deterministic build from the sources, and the loader that serves the checks."""
