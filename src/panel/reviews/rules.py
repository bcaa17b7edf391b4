"""The review record's fixed choices and their labels: the rapid review's LCSPR decision
(SI 2018/789 reg.11), the National Panel's response and the publication status.

Plain data, so the review services, the pages and the tracker format (panel.tracker_io.format)
share one list without the format reaching the database.
"""

from __future__ import annotations

LCSPR_DECISIONS = {"lcspr": "Hold an LCSPR", "no_lcspr": "No LCSPR"}
RESPONSES = {"agrees": "Agrees", "disagrees": "Disagrees"}
PUBLICATION_STATUSES = {"planned": "As planned", "delayed": "Delayed", "withheld": "Withheld"}
