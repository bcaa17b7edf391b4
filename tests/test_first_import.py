"""Sessions that start together on a fresh server import the components one at a time
(src/panel/ui/first_import.py): a browser test saw two first runs crash with "module is None"
when a cookie component was declared while another session's imports were going on."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPY = """
import ast, sys, traceback
from streamlit.components.v1 import component_registry
calls = []
real = component_registry._get_module_name  # what declare_component calls to name its caller
def spy(frame):
    calls.append([f.filename for f in traceback.extract_stack()])
    return real(frame)
component_registry._get_module_name = spy
tree = ast.parse(open("app.py").read())
exec(compile(ast.Module([n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], []),
             "app.py", "exec"), {})
outside = [c for c in calls if not any(f.endswith("first_import.py") for f in c)]
print(len(calls), len(outside))
"""


def test_every_component_is_declared_inside_the_first_import():
    """app.py's imports, in its order, in a fresh interpreter: every `declare_component` call
    comes from within first_import's locked import, none from a later import of ours."""
    done = subprocess.run([sys.executable, "-c", SPY], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    calls, outside = map(int, done.stdout.split())
    assert calls > 0, "no component was declared: the spy saw nothing"
    assert outside == 0


def test_app_imports_first_import_before_any_other_panel_module():
    tree = ast.parse((ROOT / "app.py").read_text())
    ours = [n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("panel")]
    assert ours[0].module == "panel.ui" and [a.name for a in ours[0].names] == ["first_import"]
