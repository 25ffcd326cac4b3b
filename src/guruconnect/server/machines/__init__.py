"""Managed machines: the list, the detail, and how agent reports update them."""
