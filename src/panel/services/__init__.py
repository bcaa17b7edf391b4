"""The service layer: every query and every write, each checking the acting user's role and
partnership first and writing its audit row in the same transaction."""
