"""newscrawl's test suite."""
