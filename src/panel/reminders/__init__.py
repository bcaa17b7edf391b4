"""Reminders: digests of what is overdue or due soon, and sending them."""
