"""Benchmarks: a synthetic catalog generator, a cell-per-row SQLite baseline, and the
comparison table (``python -m benchmarks.avails --licenses N``)."""
