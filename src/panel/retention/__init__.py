"""Retention: how long each record type is kept, and applying it."""
