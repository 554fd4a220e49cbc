"""Item pipelines: extract, deduplicate, store."""
