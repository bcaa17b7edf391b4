"""Referrals: the notification form's rules and the queue's service."""
