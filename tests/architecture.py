"""Which modules are the product's service layer, for the tests that walk it (access matrix,
audit coverage, architecture). A moved or renamed module must still be found: the walks assert
a minimum count, so one that drops out fails loudly instead of going unchecked."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import panel

SRC = Path(panel.__file__).resolve().parent
# Not services: the web glue, the command line and the demo data call services; the migrations
# are history.
NOT_SERVICES = ("ui", "cli", "demo", "migrations")
MIN_SERVICE_MODULES = 25  # modules with a public function taking the actor first
MIN_WRITING_MODULES = 20  # modules with a `with transaction()` block


def service_modules() -> list[str]:
    """Dotted names below `panel` ('referrals.service') of every module outside NOT_SERVICES."""
    out = []
    for info in pkgutil.walk_packages(panel.__path__, "panel."):
        name = info.name.removeprefix("panel.")
        if info.ispkg or name.split(".")[0] in NOT_SERVICES:
            continue
        out.append(name)
    return sorted(out)


def service_module_files() -> dict[str, Path]:
    return {name: SRC.joinpath(*name.split(".")).with_suffix(".py") for name in service_modules()}
