"""The kubectl command beside every widget action, so a learner can do it by hand anywhere."""

from __future__ import annotations

import html
import shlex


def kubectl(*args: str, namespace: str | None = None) -> str:
    """``kubectl ARGS [-n NAMESPACE]``, quoted as a shell would need it."""
    scope = ("-n", namespace) if namespace else ()
    return "kubectl " + shlex.join([*args, *scope])


def as_html(command: str, *, label: str = "by hand") -> str:
    """One line: a label, then the command in monospace (selectable, for copy and paste)."""
    return (
        '<div class="ws-command" style="font-size:12px;color:#555;margin:2px 0">'
        f"{html.escape(label)}: "
        '<code style="background:#f4f4f4;padding:1px 4px;border-radius:3px;'
        f'user-select:all">{html.escape(command)}</code></div>'
    )
