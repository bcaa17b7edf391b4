"""Shown to a signed-in user whose roles give them no pages yet."""

from panel.ui.common import empty_state, header

header("No pages yet", ":material/block:")
empty_state("Your account has no role that opens a page here yet.",
            "Ask your partnership's Panel administrator to give you a role.")
