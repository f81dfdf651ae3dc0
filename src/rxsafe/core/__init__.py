"""The pure, synchronous core: domain models, enums, the checks and the verdict policy. No I/O here."""
