"""Panel: case review dashboard for English safeguarding children partnerships."""

__version__ = "0.1.0"
