"""``CostMeter``: what the clusters a lab created cost, their teardown, and a leftover scan.

Prices come from a lab's dated table (``workshop.widgets.costs``); on the real OVHcloud
API, deleting asks for a confirmation first. The calls are shown in Python.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import ovh

from workshop.errors import WorkshopError
from workshop.tools import mks
from workshop.tools import ovh as ovh_tools
from workshop.widgets import costs
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.errors import api_error
from workshop.widgets.progress import Waiting
from workshop.widgets.wizard import api_call


class CostMeter(Widget):
    """The hourly and monthly price of the clusters a lab created; teardown; leftovers."""

    def __init__(
        self,
        api: ovh.Client,
        prices: costs.PriceTable | Path | str,
        *,
        prefix: str = "lab-08",
        real: bool | None = None,
        timeout: float = mks.WAIT_TIMEOUT,
    ) -> None:
        self.api = api
        self.table = (
            prices if isinstance(prices, costs.PriceTable) else costs.PriceTable.load(prices)
        )
        self.prefix = prefix
        self.real = ovh_tools.real_endpoint() is not None if real is None else real
        self.timeout = timeout
        self._project: str | None = None
        self.figures = ipywidgets.HTML()
        self.refresh_button = ipywidgets.Button(description="Refresh", icon="refresh")
        self.scan_button = ipywidgets.Button(description="Scan for leftovers", icon="search")
        self.teardown_button = ipywidgets.Button(
            description="Tear down", button_style="danger", icon="trash"
        )
        self.confirm = ipywidgets.Checkbox(
            value=False,
            description="yes, delete them on my OVHcloud account",
            layout=ipywidgets.Layout(display="flex" if self.real else "none"),
        )
        self.progress_area = ipywidgets.VBox()
        self.message = Message()
        self.command = CommandLine("", label="the same in Python")
        super().__init__(
            self.figures,
            ipywidgets.HBox(
                [self.refresh_button, self.scan_button, self.teardown_button, self.confirm]
            ),
            self.progress_area,
            self.command.widget,
            self.message.widget,
        )
        self.box.add_class("workshop-costmeter")
        self.refresh_button.on_click(lambda _b: self._guarded(self.refresh))
        self.scan_button.on_click(lambda _b: self._guarded(self.scan))
        self.teardown_button.on_click(lambda _b: self._guarded(self.teardown))
        self.bill = costs.Bill()
        self._guarded(self.refresh)  # an API that does not answer is shown, not raised

    @property
    def project(self) -> str:
        """The Public Cloud project (looked up once, on first use)."""
        if self._project is None:
            self._project = mks.project(self.api)
        return self._project

    def _guarded(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")
        except ovh.exceptions.APIError as e:
            self.message.show(str(api_error(e, getattr(action, "__name__", "act"))), kind="error")

    def refresh(self) -> costs.Bill:
        """Read what exists now and price it."""
        found = []
        for cluster in mks.clusters(self.api, self.project):
            try:
                pools = mks.pools(self.api, self.project, cluster["id"])
            except ovh.exceptions.ResourceNotFoundError:
                pools = []
            found.append((cluster, pools))
        self.bill = costs.bill(found, self.table, ours=mks.owned_by(self.prefix))
        self.figures.value = self._render()
        self.command.show(
            api_call("get", f"/cloud/project/{self.project}/kube/{{kubeId}}/nodepool"),
            label="the same in Python",
        )
        return self.bill

    def _render(self) -> str:
        currency = self.table.currency
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(line.cluster)}{'' if line.ours else ' (not the lab)'}</td>"
            f"<td>{html.escape(line.what)}</td>"
            f"<td>{html.escape(line.flavor or '')}</td>"
            f"<td style='text-align:right'>{line.nodes if line.flavor else ''}</td>"
            f"<td style='text-align:right'>{html.escape(costs.money(line.hourly, currency))}"
            f"{_label(line.label) if line.hourly is not None else ''}</td>"
            "</tr>"
            for line in self.bill.lines
        )
        if not rows:
            rows = "<tr><td colspan=5><i>nothing: no cluster in this project</i></td></tr>"
        unpriced = (
            f" ({len(self.bill.unpriced)} line(s) without a price)" if self.bill.unpriced else ""
        )
        if self.bill.indicative:
            unpriced += f" ({len(self.bill.indicative)} line(s) at an indicative price)"
        return (
            "<table style='font-size:12px'><tr><th>cluster</th><th>what</th><th>flavor</th>"
            f"<th>nodes</th><th>per hour</th></tr>{rows}</table>"
            f"<div style='font-size:14px;margin:4px 0'><b>"
            f"{html.escape(costs.money(self.bill.hourly, currency))} per hour · "
            f"{html.escape(costs.money(self.bill.monthly, currency))} per month "
            f"({self.table.hours_per_month:.0f} h)</b>{html.escape(unpriced)}</div>"
            f"<div style='font-size:11px;color:#57606a'>{html.escape(self.table.caveat())}</div>"
        )

    def scan(self) -> list[str]:
        """What the lab created that still exists."""
        found = mks.leftovers(self.api, self.project, self.prefix)
        self.command.show(api_call("get", f"/cloud/project/{self.project}/kube"))
        if found:
            self.message.show("still there:\n" + "\n".join(found), kind="error")
        else:
            self.message.show(
                f"no leftovers: no cluster named {self.prefix}* in project {self.project}",
                kind="ok",
            )
        return found

    def teardown(self, *, confirm: bool | None = None) -> list[str]:
        """Delete every cluster the lab created and wait until they are gone.

        On the real API it deletes only when confirmed (the checkbox, or ``confirm=True``).
        """
        doomed = [line.cluster for line in self.refresh().lines if line.ours and not line.flavor]
        if not doomed:
            self.message.show("nothing to tear down", kind="ok")
            return []
        confirmed = self.confirm.value if confirm is None else confirm
        if self.real and not confirmed:
            self.message.show(
                f"this deletes {', '.join(doomed)} on your OVHcloud account: tick the box "
                "and press Tear down again",
                kind="error",
            )
            return []
        self.command.show(api_call("delete", f"/cloud/project/{self.project}/kube/{{kubeId}}"))

        def show(widget: Any) -> None:
            self.progress_area.children = (widget,)

        started = time.monotonic()
        with Waiting(f"deleting {', '.join(doomed)}", timeout=60, after=0, show=show):
            done = mks.teardown(self.api, self.project, self.prefix, timeout=self.timeout)
        self.confirm.value = False
        self.refresh()
        left = self.scan()
        if not left:
            self.message.show(
                "\n".join(done) + f"\nin {time.monotonic() - started:.0f}s; no leftovers",
                kind="ok",
            )
        return done


def _label(label: str | None) -> str:
    """A price's caveat under its figure (``indicative, as of DATE``), or nothing."""
    if not label:
        return ""
    return f"<br><span style='font-size:10px;color:#9a6700'>{html.escape(label)}</span>"
