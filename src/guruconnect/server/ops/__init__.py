"""Operability: health, Prometheus metrics, logging."""
