"""The printable class sheet: one card per learner (no token: it names their file).

``sheet.html`` prints one card per page; ``sheet.md`` is the same as text.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from workshop.classroom.plan import ClassPlan


def card_lines(plan: ClassPlan, seat: Any, server: str) -> list[str]:
    learner = seat.learner
    context = f"{plan.name}-{learner.id}"
    labs = ", ".join(f"{learner.prefix(plan.name)}{ns}" for ns in plan.lab_namespaces)
    return [
        f"export KUBECONFIG=$PWD/{seat.kubeconfig.name}",
        f"export WORKSHOP_CONTEXT={context}",
        "kubectl auth can-i --list          # what you may do",
        "workshop labs && workshop check 04  # or open the notebooks",
        f"# API server: {server}",
        f"# your namespace: {learner.home(plan.name)}; labs: {labs}",
        f"# your access ends at {seat.expires}",
    ]


def markdown(plan: ClassPlan, seats: list[Any], server: str) -> str:
    parts = [f"# Class {plan.name}: {len(seats)} learners\n"]
    for seat in seats:
        parts.append(f"## {seat.learner.name} (`{seat.learner.id}`)\n")
        parts.append(f"Your file: `{seat.kubeconfig.name}` (keep it to yourself).\n")
        parts.append("```sh\n" + "\n".join(card_lines(plan, seat, server)) + "\n```\n")
    return "\n".join(parts)


def page(plan: ClassPlan, seats: list[Any], server: str) -> str:
    cards = []
    for seat in seats:
        lines = html.escape("\n".join(card_lines(plan, seat, server)))
        cards.append(
            f'<section class="card"><h2>{html.escape(seat.learner.name)}</h2>'
            f"<p>Class <b>{html.escape(plan.name)}</b> &middot; learner "
            f"<code>{html.escape(seat.learner.id)}</code> &middot; your file: "
            f"<code>{html.escape(seat.kubeconfig.name)}</code> (keep it to yourself)</p>"
            f"<pre>{lines}</pre></section>"
        )
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>Class {html.escape(plan.name)}</title><style>"
        "body{font-family:sans-serif;margin:2em}"
        ".card{border:1px solid #888;border-radius:8px;padding:1em;margin-bottom:2em;"
        "page-break-after:always}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}"
        "</style></head><body>" + "".join(cards) + "</body></html>\n"
    )


def write(out: Path, plan: ClassPlan, seats: list[Any], *, server: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    html_file, md_file = out / "sheet.html", out / "sheet.md"
    html_file.write_text(page(plan, seats, server))
    md_file.write_text(markdown(plan, seats, server))
    return [html_file, md_file]
