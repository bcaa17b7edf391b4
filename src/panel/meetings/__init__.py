"""Panel meetings: agenda rules, attendance, items, minutes and their mail."""
