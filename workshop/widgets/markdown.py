"""Lab text (questions, explanations, hints) shown as Markdown, never with raw backticks.

``markdown-it-py`` (CommonMark, already installed with ``rich``) renders it; raw HTML in
the text is escaped, not passed through, so a lab file cannot inject markup or scripts.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

CODE_STYLE = "background:#f4f4f4;padding:1px 4px;border-radius:3px"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _styled(rendered: str) -> str:
    # JupyterLab styles <code> already; elsewhere (a screenshot, an email) it still reads.
    return rendered.replace("<code>", f'<code style="{CODE_STYLE}">')


def block(text: str) -> str:
    """Paragraphs, lists and code blocks, as HTML."""
    return _styled(_parser().render(text)).strip()


def inline(text: str) -> str:
    """One line of Markdown (code spans, emphasis, links) as HTML, without a paragraph."""
    return _styled(_parser().renderInline(text))


def sentence(message: str, hint: str | None = None) -> str:
    """An error as one line of HTML: what went wrong, then what to do."""
    return inline(f"{message} — {hint}" if hint else message)
