"""Benchmarks of the Lapor pipeline: ``python -m bench`` (``make bench``); results in bench/results.json."""
