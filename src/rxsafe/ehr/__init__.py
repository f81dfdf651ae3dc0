"""The patient record store (behind a Protocol; DuckDB by default) and the demo seed."""
