"""Building data/derived/: the verified claims, the gazetteer, coverage and the metric tables, written atomically
with their Frictionless descriptor. It comes after the metrics because it publishes their tables."""
