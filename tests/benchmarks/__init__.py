"""Benchmarks of the core correlation and the network katas (pytest-benchmark; `make bench`)."""
