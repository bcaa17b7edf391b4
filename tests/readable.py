"""What a program writes and a person should never read: the patterns the page checks share
(tests/test_pages_readable.py reads every page through AppTest, tests/browser/test_every_page.py
what the browser shows)."""

from __future__ import annotations

import re

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
LONG_DECIMAL = re.compile(r"-?\d+\.\d{3,}\b")
# One date style wherever a person reads one: "Fri 11 Dec 2026" (panel.ui.common.DATE_FORMAT).
BARE_DATE = re.compile(r"(?<!(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")
# Proper nouns and acronyms a label's .lower() gets wrong ("outside england", "iro service").
LOWER_PROPER = re.compile(r"\b(england|english|wales|ofsted|iro|lac|lcspr|dcs|marat|dfe|nhs)\b")
