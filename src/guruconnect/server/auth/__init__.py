"""Technician identity: passwords, TOTP, server-side sessions, API keys, roles and scopes."""
