"""No user text is ever rendered as HTML. Every Streamlit call that renders raw
HTML (`unsafe_allow_html=True`, `st.html`, `components.html`) in app.py, pages/ and
src/panel/ui/ may be passed only a literal string: no variable, f-string, concatenation or call,
through which a user's text could arrive.

No user text is rendered as Markdown either.

Streamlit renders Markdown (links, images that the browser fetches, LaTeX, colour and icon
directives) in st.markdown, st.write, captions, alerts, toasts, headings, metrics, st.table cells,
expander and tab labels, and in every widget's label and help (a subset, images included), and in
the options of radios, segmented controls and pills. User text must reach those only through
panel.ui.common.esc, or through a text-only element (st.text, st.code, dataframes, a text box's
value, selectbox options).

The rule, checked by walking the AST of app.py, pages/ and src/panel/ui/: every argument that
Streamlit renders as Markdown (RENDERED below) must be *safe*, where safe is:

- a literal (string, number, None), or a module-level name bound once to a literal string;
- a call to esc(...) (esc_table(...) for a whole table);
- an f-string, `+` concatenation, `%` or `.format()` whose every non-literal part is safe;
  `"sep".join(<safe> for ...)`; `a if c else b` and `a or b` when both sides are safe; `.lower()/.upper()/.capitalize()/.strip()`
  of something safe;
- a value that cannot be user text (the short allowance list):
    * a number: len(), int(), round(), sum(), abs(), unary minus, arithmetic other than `+`,
      and `+`/`*` with a number literal; a field formatted with a date or number spec
      (`{d:%d %b %Y}`, `{n:,}`, `{x:.1f}`);
    * a date written out: day(d), moment(t) (panel.core.clock);
    * child_text(x), str(x), dict(x), days_in(x), in_sentence(x) when x is safe (they return x,
      or x reworded by the code, or a constant);
    * a code vocabulary: an ALL_CAPS name (a table of labels the code defines, such as STATUSES),
      indexed or looked up with .get (a .get default must itself be safe);
- a function given as format_func (to radio, segmented_control, pills) is safe when it is a
  safe vocabulary's `.get` or a lambda whose body is safe.

A call may instead carry a `# not user text: <why>` comment (on any of its lines) when what it
renders is text the code defines but the check cannot see (page titles from the PAGES registry);
use it sparingly, with the reason.

A helper that renders its own parameters (common.header, empty_state) is checked at its callers:
its arguments are rendered Markdown, so its parameters are trusted inside it (MARKDOWN_HELPERS).
"""

from __future__ import annotations

import ast
import re
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


# --- Markdown ------------------------------------------------------------------------------------

# Streamlit calls whose positional arguments (and `body`/`label`) render as Markdown.
ALL_POSITIONAL = {"markdown", "write", "caption", "info", "warning", "error", "success", "toast", "subheader",
                  "header", "title", "expander", "popover", "spinner", "table", "badge"}
# Widgets and elements whose first positional argument is their (Markdown) label.
LABELLED = {"button", "download_button", "form_submit_button", "link_button", "text_input", "text_area",
            "number_input", "selectbox", "multiselect", "radio", "checkbox", "toggle", "date_input",
            "time_input", "datetime_input", "slider", "select_slider", "segmented_control", "pills",
            "file_uploader", "color_picker", "camera_input", "audio_input", "chat_input", "progress"}
# Keyword arguments rendered as Markdown on any Streamlit call.
KEYWORDS = {"label", "help", "placeholder", "body", "caption", "text"}
OPTIONS_AS_MARKDOWN = {"radio", "segmented_control", "pills"}
# Helpers of ours that render every argument as Markdown: checked at their callers.
MARKDOWN_HELPERS = {"header", "empty_state"}
NOT_STREAMLIT = {"logging", "log", "logger", "_log", "LOG", "warnings", "re", "os", "sys"}
# Functions that return their argument (or a constant): as safe as what they are given.
PASS_THROUGH = {"str", "dict", "child_text", "days_in", "in_sentence"}  # x, or x reworded by the code
# Numbers, and dates written out by panel.core.clock (day, moment): no user text in either.
NUMBER_CALLS = {"len", "int", "round", "sum", "abs", "float", "day", "moment"}
TEXT_METHODS = {"lower", "upper", "capitalize", "strip", "title"}
DATE_OR_NUMBER_SPEC = re.compile(r"%.*|[,_]?(\.\d+)?[dfn%]?|,")


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _vocabulary(node: ast.AST) -> bool:
    """An ALL_CAPS name (possibly module.NAME), or one indexed by anything."""
    if isinstance(node, ast.Subscript):
        return _vocabulary(node.value)
    name = _name(node)
    return bool(name) and name.isupper() and len(name) > 1


class Checker:
    def __init__(self, tree: ast.Module, trusted: set[str] = frozenset()):
        self.consts = _constants(tree)
        self.trusted = set(trusted)

    def safe(self, n: ast.AST | None) -> bool:  # noqa: C901, PLR0911, PLR0912 (one case per kind of node)
        if n is None or isinstance(n, ast.Constant):
            return True
        if isinstance(n, ast.Name):
            return n.id in self.consts or n.id in self.trusted or _vocabulary(n)
        if isinstance(n, ast.Attribute | ast.Subscript):
            return _vocabulary(n)
        if isinstance(n, ast.JoinedStr):
            return all(self.safe(v) for v in n.values)
        if isinstance(n, ast.FormattedValue):
            spec = n.format_spec
            if spec is not None and all(isinstance(v, ast.Constant) for v in spec.values):
                text = "".join(str(v.value) for v in spec.values)
                if text and DATE_OR_NUMBER_SPEC.fullmatch(text):
                    return True
            return self.safe(n.value)
        if isinstance(n, ast.IfExp):
            return self.safe(n.body) and self.safe(n.orelse)
        if isinstance(n, ast.Dict):
            return all(self.safe(v) for v in n.values)
        if isinstance(n, ast.BoolOp):
            return all(self.safe(v) for v in n.values)
        if isinstance(n, ast.UnaryOp):
            return isinstance(n.op, ast.USub | ast.UAdd) or self.safe(n.operand)
        if isinstance(n, ast.BinOp):
            number = (isinstance(n.left, ast.Constant) and isinstance(n.left.value, int | float)) or \
                (isinstance(n.right, ast.Constant) and isinstance(n.right.value, int | float))
            if isinstance(n.op, ast.Sub | ast.Div | ast.FloorDiv | ast.Pow):
                return True  # numbers: str has none of these
            if isinstance(n.op, ast.Add) and number:
                return True  # str + number is a TypeError
            if isinstance(n.op, ast.Mult) and number:
                return self.safe(n.left) and self.safe(n.right) or \
                    all(self.safe(x) or isinstance(x, ast.Constant) for x in (n.left, n.right))
            return self.safe(n.left) and self.safe(n.right)
        if isinstance(n, ast.Call):
            fname = _name(n.func)
            if fname in ("esc", "esc_table"):
                return True
            if isinstance(n.func, ast.Name) and fname in NUMBER_CALLS:
                return True
            if isinstance(n.func, ast.Name) and fname in PASS_THROUGH:
                return all(self.safe(a) for a in n.args)
            if isinstance(n.func, ast.Attribute):
                owner = n.func.value
                if fname in TEXT_METHODS:
                    return self.safe(owner)
                if fname == "strftime":
                    return True  # a date formatted by a format the code gives
                if fname == "format":
                    return self.safe(owner) and all(self.safe(a) for a in [*n.args, *(k.value for k in n.keywords)])
                if fname == "get":
                    return self.safe(owner) and all(self.safe(a) for a in n.args[1:])
                if fname == "join":  # "sep".join(<safe> for ...)
                    if not (isinstance(owner, ast.Constant) and len(n.args) == 1):
                        return False
                    items = n.args[0]
                    return self.safe(items.elt) if isinstance(items, ast.GeneratorExp | ast.ListComp) else \
                        self.safe(items)
            return False
        return False

    def safe_function(self, n: ast.AST, options_safe: bool = False) -> bool:
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "str":
            return options_safe  # str.capitalize and the like: only as safe as the options
        if isinstance(n, ast.Lambda):
            inner = Checker(ast.Module(body=[], type_ignores=[]))
            inner.consts, inner.trusted = self.consts, self.trusted
            return inner.safe(n.body)
        if isinstance(n, ast.Attribute) and n.attr in ("get", "__getitem__"):
            return self.safe(n.value)
        return False


def _rendered(call: ast.Call) -> list[tuple[str, ast.AST]]:
    """(what, node) for each argument of `call` that Streamlit renders as Markdown."""
    func = call.func
    fname = _name(func)
    if isinstance(func, ast.Attribute):
        root = func.value
        while isinstance(root, ast.Attribute | ast.Call | ast.Subscript):
            root = root.func if isinstance(root, ast.Call) else root.value
        if isinstance(root, ast.Name) and root.id in NOT_STREAMLIT:
            return []
        if isinstance(root, ast.Constant):
            return []
    elif fname not in MARKDOWN_HELPERS:
        return []
    out = []
    if fname in ALL_POSITIONAL or fname in MARKDOWN_HELPERS:
        out += [(f"{fname}()", a) for a in call.args]
    elif fname == "metric":
        out += [("metric()", a) for a in call.args[:3]]
        out += [(f"metric {k.arg}=", k.value) for k in call.keywords if k.arg in ("value", "delta")]
    elif fname == "tabs":
        for a in call.args[:1]:
            out += [("tabs label", e) for e in a.elts] if isinstance(a, ast.List | ast.Tuple) else [("tabs", a)]
    elif fname in LABELLED:
        out += [(f"{fname} label", a) for a in call.args[:1]]
    if fname in LABELLED or fname in ALL_POSITIONAL or fname in ("metric", "page_link", "tabs", "text", "code"):
        out += [(f"{fname} {k.arg}=", k.value) for k in call.keywords if k.arg in KEYWORDS]
    return out


def markdown_problems(source: str, name: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    out = []
    checkers = {}  # trusted parameters of MARKDOWN_HELPERS, inside their own bodies
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name in MARKDOWN_HELPERS:
            params = {a.arg for a in [*fn.args.args, *fn.args.kwonlyargs]}
            for node in ast.walk(fn):
                checkers[id(node)] = params
    base = Checker(tree)
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if any(re.search(r"# not user text: \S", line) for line in lines[node.lineno - 1:node.end_lineno]):
            continue
        check = Checker(tree, checkers.get(id(node), set())) if id(node) in checkers else base
        for what, arg in _rendered(node):
            if not check.safe(arg):
                out.append(f"{name}:{node.lineno}: {what} given text not passed through esc()")
        fname = _name(node.func)
        if isinstance(node.func, ast.Attribute) and fname in OPTIONS_AS_MARKDOWN:
            fmt = next((k.value for k in node.keywords if k.arg == "format_func"), None)
            opts = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "options")]
            options_safe = all(isinstance(o, ast.List | ast.Tuple) and all(check.safe(e) for e in o.elts)
                               for o in opts)
            if fmt is not None and not check.safe_function(fmt, options_safe):
                out.append(f"{name}:{node.lineno}: {fname} format_func may return text not passed through esc()")
            if fmt is None:
                for o in opts:
                    elts = o.elts if isinstance(o, ast.List | ast.Tuple) else \
                        o.args if isinstance(o, ast.Call) and _name(o.func) == "list" else [o]
                    if not all(check.safe(e) for e in elts):
                        out.append(f"{name}:{node.lineno}: {fname} options may be text not passed through esc()")
    return out


def test_no_user_text_is_rendered_as_markdown():
    found = [p for path in SOURCES for p in markdown_problems(path.read_text(), str(path.relative_to(ROOT)))]
    assert not found, f"{len(found)} place(s):\n" + "\n".join(found)


def test_the_markdown_check_catches_what_it_should():
    bad = '''
import streamlit as st
st.markdown(note)
st.write(f"Received from {r.referrer_name}.")
st.caption("Owner: " + a.owner_name)
c1.info(f"Panel note: {r.status_note}", icon=":material/info:")
st.toast(f"{r.reference}: saved")
st.subheader(it.title, anchor=False)
st.metric(label=name, value=3)
st.metric("Owner", owner)
st.text_input("x", help=why)
st.button(label=person)
st.selectbox(f"Attendance of {who}", [1, 2])
st.expander(f"Delays of {name}")
st.tabs(["A", name])
st.page_link("pages/x.py", label=link["reference"])
st.radio("Who", ids, format_func=names.get)
st.radio("Who", names)
st.error(str(e))
st.warning(", ".join(names))
st.markdown("\\n".join(f"- {line}" for line in lines))
st.success(f"{x:>10}")
header(title, ":material/x:")
st.table(frame)
st.segmented_control("Status", statuses, format_func=str.capitalize)
st.page_link(pg, label=pg.title)  # not user text:
'''
    found = markdown_problems(bad)
    assert len(found) == 24, "\n".join(found)
    good = '''
import streamlit as st
MSG = "Saved"
st.markdown(esc(note))
st.write(f"Received {r.received_on:%d %b %Y} from {esc(r.referrer_name)}, {esc(agency)}.")
st.caption("Owner: " + esc(a.owner_name) + (f" · {esc(a.owner_email)}" if a.owner_email else ""))
st.info(MSG)
st.metric("Status", STATUSES[r.status])
st.metric("Status", actions.STATUSES.get(a.status, esc(a.status)), delta=f"{-left} working days", help="x")
st.metric("Working days", len(rows) if shown else int(days))
st.write(f"{n + 1}. {esc(it.title)} — *{rules.ITEM_STATUSES[it.status]}*")
st.subheader(f"{total:,} items, {share:.1f}%", anchor=False)
st.radio("Decision", ["accept", "close"], format_func=LABELS.get)
st.radio("Decision", list(LABELS), format_func=lambda k: esc(names[k]))
st.text(note)
st.code(note)
st.dataframe(frame)
st.selectbox("Owner", ids, format_func=names.get)
st.table(esc_table(frame))
st.markdown("\\n".join(f"- {esc(line)}" for line in lines))
st.segmented_control("Level", ["theme", "national"], format_func={"theme": "Theme"}.get)
st.segmented_control("Status", ["open", "closed"], format_func=str.capitalize)
st.page_link(pg, label=pg.title)  # not user text: page titles come from PAGES
log.error("reference %s", ref)
header("Queue", ":material/list:", f"{len(rows)} waiting")

def header(title, icon, caption=None):
    st.title(f"{icon} {title}")
'''
    assert markdown_problems(good) == [], "\n".join(markdown_problems(good))
