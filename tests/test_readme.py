"""The README's reference sections stay true to the code: the configuration table lists exactly the
settings and their defaults, and the layout names every package under src/panel."""

from __future__ import annotations

import re
from pathlib import Path

from panel.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

# Defaults the README states as what they work out to, not as the field's literal value.
DERIVED = {"DATABASE_URL": "sqlite:///data/panel.db"}


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]*)`", cell)


def documented_settings() -> dict[str, str | None]:
    """Variable -> its documented default: the backticked value, or None for a prose default
    ("generated into ...", "none (built-in defaults)", "today")."""
    found: dict[str, str | None] = {}
    for line in section("Configuration").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        names, defaults = ticked(cells[0]), ticked(cells[1])
        if not re.fullmatch(r"`[^`]*`(, `[^`]*`)*", cells[1]) or len(defaults) != len(names):
            defaults = [None] * len(names)  # prose, or one phrase for several variables
        for name, default in zip(names, defaults, strict=True):
            assert name not in found, f"{name} is in the configuration table twice"
            found[name] = default
    return found


def shown(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def declared_settings() -> dict[str, str | None]:
    return {field.validation_alias: DERIVED.get(field.validation_alias, shown(field.default))
            for field in Settings.model_fields.values()}


def test_the_configuration_table_lists_exactly_the_settings():
    documented, declared = documented_settings(), declared_settings()
    assert sorted(documented) == sorted(declared), (
        f"only in README: {sorted(set(documented) - set(declared))}; "
        f"only in Settings: {sorted(set(declared) - set(documented))}")


def test_the_configuration_table_gives_each_setting_its_default():
    documented, declared = documented_settings(), declared_settings()
    wrong = {name: (documented[name], declared[name]) for name in declared
             if name in documented and documented[name] != declared[name]}
    assert wrong == {}, "variable: (README, Settings)"


def test_the_table_is_read_as_expected():
    documented = documented_settings()
    assert documented["PANEL_IDLE_MINUTES"] == "30"
    assert documented["PANEL_LOCKOUT_MINUTES"] == "15"  # the second of a two-variable row
    assert documented["PANEL_COOKIE_KEY"] is None  # a prose default


def layout_entries() -> set[str]:
    block = section("Layout")
    tree = block[block.index("```"):]
    return {m.group(1) for m in re.finditer(r"^  ([\w.]+/?) ", tree, re.MULTILINE)}


def test_the_layout_names_every_package_under_src_panel():
    packages = {p.parent.name + "/" for p in (ROOT / "src" / "panel").glob("*/__init__.py")}
    packages |= {p.name + "/" for p in (ROOT / "src" / "panel").iterdir()
                 if p.is_dir() and p.name == "migrations"}
    missing = packages - layout_entries()
    assert not missing, f"README 'Layout' does not mention: {sorted(missing)}"


def test_the_layout_names_only_packages_and_modules_that_exist():
    src = ROOT / "src" / "panel"
    stale = {entry for entry in layout_entries() if entry.endswith("/") and entry not in
             {"browser/", "reliability/"} and not (src / entry).is_dir()}
    stale |= {entry for entry in layout_entries() if entry.endswith(".py") and not (src / entry).exists()}
    assert not stale, f"README 'Layout' names what is not under src/panel: {sorted(stale)}"


def test_the_layout_entries_are_read_as_expected():
    entries = layout_entries()
    assert {"core/", "tracker_io/", "models.py", "migrate.py", "backup.py", "migrations/"} <= entries
