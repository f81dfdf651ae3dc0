"""Developer scripts; a package so that ``python -m scripts.bench`` runs from the repository root."""
