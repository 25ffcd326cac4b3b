"""Tests of the endpoint agent (guruconnect.agent)."""
