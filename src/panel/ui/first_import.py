"""The first run's component imports, before any other import of ours, one session at a time.

Streamlit runs each browser session's script in its own thread. When several people open Panel
on a server that has just started (a reminder e-mail's links, a meeting starting), their first
runs import the same modules at once. `declare_component`, run by streamlit-authenticator's cookie
component as it is imported, names its caller with `inspect.getmodule`, whose caches are not
thread-safe: another session's imports filling them at the same moment make it return None, the
import fails with "module is None", and every other session then sees "cannot import name
'auth'". So app.py imports this module first. Python lets one thread run a module's import while
the others wait for it, so the first session declares the components here while the rest wait,
and no other import of ours runs beside it.
"""

import streamlit_authenticator  # noqa: F401  (declares the cookie component)
