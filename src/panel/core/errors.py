"""Errors a page can show as they are: their messages are written for the user."""

from __future__ import annotations


class PanelError(Exception):
    pass


class PermissionDenied(PanelError):
    pass


class NotFound(PanelError):
    """Also raised for records in another partnership, so their existence is not disclosed."""


class ValidationFailed(PanelError):
    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class StaleEdit(PanelError):
    """Somebody else saved the record after this form was opened."""

    def __init__(self, what: str = "record"):
        super().__init__(
            f"This {what} was changed by someone else after you opened it. "
            "Your input is kept below: reload to see their changes, then save again."
        )


class AlreadySaved(PanelError):
    """The same form was sent again (a double click, a resend): it was saved the first time."""

    def __init__(self, reference: str):
        self.reference = reference
        super().__init__(f"Already saved: {reference}")
