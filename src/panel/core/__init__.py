"""What every feature shares: settings, the database, the clock, access, audit, errors, exports."""
