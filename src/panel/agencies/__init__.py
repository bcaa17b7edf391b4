"""Agencies: the organisations a partnership works with, shared by every partnership of an
installation (referrals, meetings, reviews, actions and accounts name them)."""
