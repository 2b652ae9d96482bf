"""Interchange formats: one module per format; parse or render, nothing else."""
