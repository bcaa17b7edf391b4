"""Documents Panel drafts from the record for the panel to edit and the partners to sign off (docs/domain.md §11)."""
