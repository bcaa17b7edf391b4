"""Issue #7 point 9: no user text is ever rendered as HTML. Every Streamlit call that renders raw
HTML (`unsafe_allow_html=True`, `st.html`, `components.html`) in app.py, pages/ and
src/panel/ui/ may be passed only a literal string: no variable, f-string, concatenation or call,
through which a user's text could arrive."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "src" / "panel" / "ui").glob("*.py"))]
HTML_CALLS = {"html"}  # st.html(...), components.html(...), components.v1.html(...)


def _constants(tree: ast.Module) -> set[str]:
    """Module-level names bound once, to a literal string, and never bound again anywhere."""
    bound: dict[str, int] = {}
    for node in ast.walk(tree):
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]
                  if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) else []):
            if isinstance(t, ast.Name):
                bound[t.id] = bound.get(t.id, 0) + 1
    return {t.id for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
            for t in node.targets if isinstance(t, ast.Name) and bound.get(t.id) == 1
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def problems(source: str, name: str = "<source>") -> list[str]:
    """Each raw-HTML call given anything but a constant string (a literal, or a module-level name
    bound once to a literal), as 'file:line: what'."""
    tree = ast.parse(source)
    consts = _constants(tree)

    def _literal(node: ast.AST) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or \
            (isinstance(node, ast.Name) and node.id in consts)

    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        unsafe = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                     for k in node.keywords)
        if not (unsafe or fname in HTML_CALLS):
            continue
        given = list(node.args) + [k.value for k in node.keywords if k.arg in ("body", "html", "unsafe_allow_html")
                                   and k.arg != "unsafe_allow_html"]
        if not given or not all(_literal(a) for a in given):
            what = "unsafe_allow_html" if unsafe else f"{fname}()"
            out.append(f"{name}:{node.lineno}: {what} given something other than a literal string")
    return out


def test_sources_are_found():
    assert (ROOT / "app.py") in SOURCES and len(SOURCES) > 10


def test_no_user_text_is_rendered_as_html():
    found = [p for path in SOURCES for p in problems(path.read_text(), str(path.relative_to(ROOT)))]
    assert not found, "\n".join(found)


def test_the_check_catches_what_it_should():
    bad = '''
import streamlit as st
import streamlit.components.v1 as components
st.markdown(f"<b>{name}</b>", unsafe_allow_html=True)
st.markdown("<b>" + name, unsafe_allow_html=True)
st.write(name, unsafe_allow_html=True)
st.html(name)
components.html(make(name))
st.caption(body=name, unsafe_allow_html=True)
'''
    assert len(problems(bad)) == 6, problems(bad)
    assert len(problems(bad + "CSS = '<style>'\nCSS = name\nst.html(CSS)\n")) == 7  # rebound: not constant
    good = '''
import streamlit as st
CSS = "<style>:focus-visible { outline: 3px solid }</style>"
st.html(CSS)
st.markdown("<hr>", unsafe_allow_html=True)
st.markdown(name)
st.markdown(name, unsafe_allow_html=False)
st.html("<div role='presentation'></div>")
'''
    assert problems(good) == []
