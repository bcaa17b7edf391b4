"""The layering the code relies on, checked from the source (docs in README "Layout"):

- rules modules (every `rules.py`, and the other pure modules) are plain Python: neither they nor
  anything they import brings in Streamlit, SQLModel/SQLAlchemy, the database module or a service;
- pages/ and app.py are thin: no SQLModel/SQLAlchemy and no `transaction(`;
- a service's refusal reaches the user one way: pages, app.py and panel.ui catch no `PanelError`
  (nor `ValidationFailed`, `NotFound`, `PermissionDenied`, `StaleEdit`) themselves; panel.ui.forms
  does, and shows it (field messages beneath their fields, the rest in one box);
- no module reaches into another module's private (`_x`) names;
- no test module imports from another test module: shared builders live in tests/factories.py
  and fixtures in tests/conftest.py.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.architecture import SRC, service_modules

ROOT = SRC.parents[1]
TESTS = ROOT / "tests"

# Pure modules besides every rules.py (dotted below `panel`).
PURE = [
    "core.clock", "core.presentation", "core.anonymise",
    "reviews.types", "reviews.lifecycle",
    "reports.timeliness", "reports.milestones", "reminders.digests",
    "meetings.minutes", "learning.briefing", "learning.source_rules",
    "tracker_io.report", "tracker_io.format", "tracker_io.parse", "tracker_io.checks",
    "tracker_io.template",
    "learning.dissemination_rules", "learning.follow_up_rules",
    "learning.library_rules", "documents.text", "drafting.word",
]
# Modules the pure list would name but that are not pure (module: why): each must still fail the
# rule, so making one pure forces it into PURE rather than leaving it unguarded.
IMPURE: dict[str, str] = {}
FORBIDDEN_LIBRARIES = ("streamlit", "sqlmodel", "sqlalchemy")
FORBIDDEN_MODULES = ("panel.core.db",)


def module_file(dotted: str) -> Path | None:
    """The file of `panel.x.y` (a module or a package's __init__), or None if it is not ours."""
    if dotted != "panel" and not dotted.startswith("panel."):
        return None
    base = SRC.joinpath(*dotted.split(".")[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


@cache
def imports_of(path: Path, package: str) -> frozenset[str]:
    """Every module `path` imports when it runs (imports inside functions too; TYPE_CHECKING
    blocks excluded), absolute, with `from a import b` also giving `a.b` when that is a module."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                if module_file(f"{base}.{alias.name}"):
                    found.add(f"{base}.{alias.name}")
                else:
                    found.add(base)
    return frozenset(found - {"__future__"})


def _package_of(dotted: str) -> str:
    path = module_file(dotted)
    return dotted if path is not None and path.name == "__init__.py" else dotted.rpartition(".")[0]


def closure(dotted: str) -> set[str]:
    """Everything `dotted` imports, directly or through our modules it imports (a package's
    __init__ counts when the package itself is imported, not when a module is taken from it)."""
    seen: set[str] = set()
    todo = [dotted]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is not None:
            todo.extend(imports_of(path, _package_of(name)))
    return seen


@cache
def service_module_names() -> frozenset[str]:
    """Our modules that reach the database: the service layer proper."""
    return frozenset(f"panel.{m}" for m in service_modules()
                     if "panel.core.db" in imports_of(module_file(f"panel.{m}"), f"panel.{m}".rpartition(".")[0]))


def impurities(dotted: str) -> list[str]:
    reached = closure(f"panel.{dotted}")
    services = service_module_names()
    bad = {m for m in reached if m.split(".")[0] in FORBIDDEN_LIBRARIES}
    bad |= {m for m in reached if m in FORBIDDEN_MODULES or m in services}
    return sorted(bad)


def rules_modules() -> list[str]:
    found = sorted(".".join(p.relative_to(SRC).with_suffix("").parts) for p in SRC.rglob("rules.py"))
    return found + PURE


def test_the_walk_finds_the_rules_modules():
    assert len(rules_modules()) >= 15
    assert {"referrals.rules", "screening.rules", "retention.rules"} <= set(rules_modules())
    assert len(service_module_names()) >= 20  # the service layer is found, so it is checked


def test_the_import_walk_sees_what_a_module_brings_in():
    assert "panel.core.db" in closure("panel.referrals.service")
    assert "sqlmodel" in closure("panel.referrals.service")
    assert "panel.screening.rules" in closure("panel.reviews.types")  # through a `from` import
    assert "panel.core.clock" in closure("panel.reviews.types")  # and onwards


def test_rules_modules_import_no_streamlit_database_or_service():
    offenders = {m: impurities(m) for m in rules_modules()}
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_modules_known_to_be_impure_still_are():
    assert [m for m in IMPURE if not impurities(m)] == [], "pure now: move it to PURE"


def _thin_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def test_pages_and_app_use_no_orm_and_open_no_transaction():
    offenders = []
    for path in _thin_files():
        tree = ast.parse(path.read_text(), str(path))
        imported = imports_of(path, "")
        offenders += [f"{path.name}: imports {m}" for m in sorted(imported)
                      if m.split(".")[0] in ("sqlmodel", "sqlalchemy")]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name == "transaction":
                    offenders.append(f"{path.name}:{node.lineno}: calls transaction(")
    assert len(_thin_files()) > 15
    assert offenders == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(path: Path, package: str, root: Path = ROOT) -> list[str]:
    """`from m import _x`, `import m._x`, and `m._x` where `m` names another module."""
    tree = ast.parse(path.read_text(), str(path))
    modules: set[str] = set()  # local names bound to a module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(_private(p) for p in alias.name.split(".")):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: import {alias.name}")
                modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                # A private name, or any name from one of our private modules (a library's
                # private module, such as openpyxl's streaming reader, is its own business).
                if _private(alias.name) or base.startswith("panel") and any(_private(p) for p in base.split(".")):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: from {base} import {alias.name}")
                if module_file(f"{base}.{alias.name}") or "." not in base and base != "panel":
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _product_files() -> list[tuple[Path, str]]:
    files = [(p, ".".join(p.relative_to(SRC.parent).with_suffix("").parts[:-1]))
             for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.relative_to(SRC).parts]
    return files + [(p, "") for p in _thin_files()]


def test_the_private_name_check_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import panel.core.db as db\nfrom panel.core.db import _engine_for\n"
                      "from panel.core import clock\nclock._bank_holidays(2026)\ndb._x\n"
                      "import streamlit as st\nst._private\nst.__name__\n")
    uses = sorted(u.rpartition(": ")[2] for u in private_uses(sample, "", root=tmp_path))
    assert uses == ["clock._bank_holidays", "db._x", "from panel.core.db import _engine_for", "st._private"]


def test_no_module_imports_another_modules_private_names():
    found = [use for path, package in _product_files() for use in private_uses(path, package)]
    assert found == []


def test_no_test_module_imports_from_another_test_module():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for name in imports_of(path, ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])):
            leaf = name.rpartition(".")[2]
            if name.startswith("tests.") and leaf.startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == [], "move shared helpers to tests/factories.py or fixtures to tests/conftest.py"


REFUSALS = frozenset({"PanelError", "ValidationFailed", "NotFound", "PermissionDenied", "StaleEdit"})
FORMS = SRC / "ui" / "forms.py"


def refusals_caught(path: Path, root: Path = ROOT) -> list[str]:
    """Each `except` in `path` that names a service refusal: alone or in a tuple, bare or as an
    attribute (errors.NotFound)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            for t in node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                if name in REFUSALS:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: except {name}")
    return found


def test_the_refusal_check_sees_each_form(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("try:\n    a()\nexcept NotFound:\n    pass\n"
                    "try:\n    b()\nexcept (KeyError, errors.StaleEdit) as e:\n    pass\n"
                    "try:\n    c()\nexcept AlreadySaved:\n    pass\nexcept Exception:\n    pass\n")
    assert refusals_caught(page, tmp_path) == ["page.py:3: except NotFound", "page.py:7: except StaleEdit"]


def test_pages_leave_service_refusals_to_ui_forms():
    files = [*_thin_files(), *sorted(p for p in (SRC / "ui").glob("*.py") if p != FORMS)]
    offenders = [found for path in files for found in refusals_caught(path)]
    assert offenders == [], "run the service call through panel.ui.forms (submit, load_or_stop, or_none)"
    assert refusals_caught(FORMS)  # the one place that catches them
