"""Shared documents: what the panel shares with every partner user of the partnership (a
published final report, say), and a lead reviewer's own review's documents (docs/domain.md §11).
Each download is in the audit log."""

from panel.ui.common import actor, header
from panel.ui.documents import shared_documents

me = actor()
header("Shared documents", ":material/folder_shared:",
       "Documents the panel shares with every partner user of your partnership. Each download is logged.")
shared_documents(me)
