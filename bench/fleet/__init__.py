"""The "finding machines at 100,000" benchmark: a generated fleet, list/search timings."""
