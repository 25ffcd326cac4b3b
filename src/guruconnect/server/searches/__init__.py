"""Saved searches: named filter combinations, private or shared with the team."""
