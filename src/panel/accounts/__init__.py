"""Accounts: users, roles per partnership, sign-in bookkeeping, partnerships and the audit log's search."""
