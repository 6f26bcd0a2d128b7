"""``CheckButton``: run a lab step's checks, reveal hints tier by tier, record progress.

The checks are ``workshop.course``'s, the same ones ``workshop check`` runs in a terminal
and CI runs in tests. By default the check runs as soon as the cell runs (``run=True``).
A check that is not yet true answers at once, in red, once, with its hints rendered as
Markdown. ``wait`` (seconds) is a limit, not a delay: the button keeps checking only while
something is in progress that could make the check pass (a rollout under way, pods
starting, a load balancer getting its address: ``workshop.widgets.inprogress``) or while
the outcome changes from one attempt to the next; a step simply not done, or stuck (an
image that cannot be pulled, a pod no node can take), answers at once. With ``strict``
(default: the ``WORKSHOP_STRICT_CHECKS`` environment variable, which the notebook tests
set) a failing check raises ``CheckFailed``, so CI sees it; a learner only sees the result
and a hint button.
"""

from __future__ import annotations

import html
import os
import time

import ipywidgets

from workshop import course
from workshop.cluster import Cluster
from workshop.course import Lab, ProgressStore, StepResult
from workshop.errors import WorkshopError
from workshop.widgets import inprogress, markdown, progress
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.errors import CheckFailed

STRICT_ENV = "WORKSHOP_STRICT_CHECKS"


def strict_default() -> bool:
    return os.environ.get(STRICT_ENV, "").lower() in ("1", "true", "yes")


class CheckButton(Widget):
    """Check one step of one lab. ``click()`` checks, ``hint()`` reveals the next tier."""

    def __init__(
        self,
        cluster: Cluster,
        lab: str | Lab,
        step: str | int,
        *,
        run: bool = True,
        wait: float = 0.0,
        strict: bool | None = None,
        progress_store: ProgressStore | None = None,
    ) -> None:
        self.cluster = cluster
        # placed: a class learner's hints name their own namespaces
        self.lab = course.place(cluster, course.find_lab(lab) if isinstance(lab, str) else lab)
        self.step = self.lab.step(step)
        self.wait = wait
        self.strict = strict_default() if strict is None else strict
        self.store = progress_store or ProgressStore()
        self.result: StepResult | None = None
        self.waited = 0.0  # seconds the last check spent waiting for something in progress
        self.in_progress: str | None = None  # what it waited for last, if anything
        self.hints = self._revealed()
        self.button = ipywidgets.Button(description="Check", icon="check", button_style="info")
        self.hint_button = ipywidgets.Button(description="Show a hint", icon="lightbulb-o")
        self.hint_button.layout.display = "none"
        self.button.on_click(lambda _: self._clicked())
        self.hint_button.on_click(lambda _: self.hint())
        self.title = ipywidgets.HTML(
            f"<b>Step {self.lab.steps.index(self.step) + 1}: {html.escape(self.step.title)}</b>"
        )
        self.results = ipywidgets.HTML()
        self.hint_area = ipywidgets.HTML()
        self.message = Message()
        self.command = CommandLine(
            f"workshop check {self.lab.id} {self.step.id}", label="in a terminal"
        )
        super().__init__(
            ipywidgets.HBox([self.button, self.title]),
            self.results,
            self.message.widget,
            self.hint_button,
            self.hint_area,
            self.command.widget,
        )
        self.box.add_class("workshop-checkbutton")
        self._render_hints()
        if run:
            self.check(wait=wait)
            if self.strict and not self.passed:
                raise CheckFailed(
                    f"lab {self.lab.id}, step {self.step.id}: {self.result_message}",
                    lab=self.lab.id,
                    step=self.step.id,
                    hint=self.result.hint if self.result else None,
                )

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

    @property
    def result_message(self) -> str:
        return self.result.message if self.result else "not checked yet"

    def click(self) -> StepResult | None:
        """What the Check button does."""
        self.button.click()
        return self.result

    def _clicked(self) -> None:
        self.check()

    def check(self, *, wait: float = 0.0) -> StepResult | None:
        """Run the checks (and record them); with ``wait``, retry until they pass."""
        self.button.disabled = True
        self.message.show("checking...", kind="info")
        try:
            self.result = self._run(wait)
        except WorkshopError as e:
            self.result = None
            self.message.show(f"could not check: {e}", kind="error")
            return None
        finally:
            self.button.disabled = False
        try:
            course.record_result(self.cluster, self.result, progress=self.store)
        except WorkshopError as e:  # the outcome stays on screen; say it is not kept
            self._show_result(self.result, saved=False)
            self.message.show(f"{self.message.text}\nNot saved: {e}", kind="error")
        else:
            self._show_result(self.result)
        return self.result

    def _run(self, wait: float) -> StepResult:
        started = time.monotonic()
        deadline = started + wait
        self.in_progress = None
        previous: tuple[tuple[bool, str], ...] | None = None
        with progress.Waiting(f"checking {self.step.title}", timeout=wait or None) as bar:
            while True:
                # polled without filing: check() records the outcome (and sends it to a class)
                result = course.check(
                    self.cluster, self.lab, self.step.id, record=False, undone=False
                )[0]
                outcome = tuple((r.passed, r.message) for r in result.results)
                if result.passed or result.skipped or time.monotonic() >= deadline:
                    break
                why = inprogress.reason(self.cluster.api, self.lab, self.step, result)
                if why is None and previous is not None and outcome != previous:
                    why = "the outcome is changing"
                if why is None:  # nothing moving: waiting would not change the answer
                    self.in_progress = None
                    break
                self.in_progress = why
                bar.update(text=why)  # what it waits for, never the ✘ line itself
                previous = outcome
                time.sleep(0.5)
            if not result.passed:
                bar.close()  # the outcome shows below, once; no bar saying "done" over it
            elif bar.shown:
                bar.finish(ok=True, text="passed")
        self.waited = time.monotonic() - started
        return course.mark_undone(self.cluster, self.lab, result)

    def _show_result(self, result: StepResult, *, saved: bool = True) -> None:
        rows = []
        for check in result.results:
            mark, colour = ("✔", "#1a7f37") if check.passed else ("✘", "#cf222e")
            rows.append(
                f'<div class="ws-check" data-passed="{str(check.passed).lower()}" '
                f'style="color:{colour};font-size:13px">{mark} '
                f"{html.escape(check.message)}</div>"
            )
            if not check.passed and check.hint:
                rows.append(
                    '<div class="ws-check-hint" style="color:#57606a;font-size:12px;'
                    f'margin-left:1.4em">↳ {markdown.inline(self.lab.localize(check.hint))}</div>'
                )
        self.results.value = '<div class="ws-check-results">' + "".join(rows) + "</div>"
        if result.passed:
            self.button.button_style = "success"
            also = " Its progress is saved." if saved else ""
            self.message.show(f"Step done: well done!{also}", kind="ok")
            self.hint_button.layout.display = "none"
        elif result.undone_by:
            self.button.button_style = "info"
            later = self.lab.steps.index(self.lab.step(result.undone_by)) + 1
            self.message.show(
                f"Done before, then changed on purpose by step {later} ({result.undone_by}), "
                "which is done: nothing to fix here.",
                kind="info",
            )
        else:
            self.button.button_style = "danger"
            if self.in_progress:  # waited its limit while something was still on its way
                self.message.show(
                    f"Still in progress after {self.waited:.0f}s ({self.in_progress}): "
                    "check again in a moment.",
                    kind="error",
                )
            else:
                self.message.show("Not yet: fix what is marked ✘ and check again.", kind="error")
            if len(self.hints) < len(course.tiers(self.lab, self.step)):
                self.hint_button.layout.display = None

    def _revealed(self) -> list[course.Hint]:
        """The tiers this learner already saw on this cluster (kept across kernel restarts)."""
        texts = course.tiers(self.lab, self.step)
        reached = self.store.step(self.cluster.context, self.lab.id, self.step.id).hint_tier
        return [
            course.Hint(tier, len(texts), texts[tier - 1], tier == len(texts))
            for tier in range(1, min(reached, len(texts)) + 1)
        ]

    def hint(self) -> course.Hint:
        """Reveal the next hint tier (the last one is the solution) and remember it."""
        shown = course.next_hint(
            self.lab, self.step, context=self.cluster.context, progress=self.store, record=False
        )
        if all(h.tier != shown.tier for h in self.hints):
            self.hints.append(shown)
        self._render_hints()
        try:
            self.store.record_hint(self.cluster.context, self.lab.id, self.step.id, shown.tier)
        except WorkshopError as e:  # shown all the same; a restarted kernel will not know
            self.message.show(f"This hint is not saved: {e}", kind="error")
        return shown

    def _render_hints(self) -> None:
        blocks = []
        for h in self.hints:
            name = "Solution" if h.is_solution else f"Hint {h.tier}/{h.total}"
            blocks.append(
                f'<div class="ws-hint" style="margin:4px 0;padding:4px 8px;'
                f'border-left:3px solid #d4a72c;background:#fff8c5"><b>{name}</b>'
                f"<div>{_hint_html(h)}</div></div>"
            )
        self.hint_area.value = "".join(blocks)
        total = len(course.tiers(self.lab, self.step))
        if len(self.hints) >= total:
            self.hint_button.layout.display = "none"
        else:
            self.hint_button.description = f"Show a hint ({len(self.hints) + 1}/{total})"


def _hint_html(hint: course.Hint) -> str:
    """A hint as Markdown; the solution tier's commands as a code block, one per line."""
    if not hint.is_solution:
        return markdown.block(hint.text)
    first, _, rest = hint.text.partition("\n")
    commands = "\n".join(line.strip() for line in rest.splitlines() if line.strip())
    return (
        f"<p>{markdown.inline(first)}</p>"
        f'<pre style="margin:2px 0;white-space:pre-wrap"><code>{html.escape(commands)}</code></pre>'
    )
