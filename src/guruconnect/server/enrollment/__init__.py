"""Enrollment tokens and the agent enrollment endpoint."""
