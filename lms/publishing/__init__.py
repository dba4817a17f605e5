"""Operation manuals: versions, reader, search, "what changed", PDF."""
