"""Themes: the taxonomy, tags on records, and recurring themes."""
