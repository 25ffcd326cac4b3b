"""Scoped API keys for programmatic access to /api/v1."""
