"""Screening: the statutory criteria engine (`assess`), the screening service and the panel's decisions.

The criteria engine is public as `panel.screening.assess(facts)`."""

from panel.screening.rules import assess

__all__ = ["assess"]
