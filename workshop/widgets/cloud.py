"""Widgets over the OVHcloud API (``ovh.Client``): a cluster wizard and a cost meter.

``ClusterWizard(api)`` offers the regions and flavors the API's capabilities endpoints
list, creates a Managed Kubernetes cluster with a first node pool, and shows a progress bar
while it installs. ``CostMeter(api, prices)`` prices what the lab created, tears it down,
and scans for leftovers; on the real API, deleting asks for a confirmation first. Each
shows the API call that does the same from Python.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets
import ovh

from workshop.errors import CloudError, WorkshopError
from workshop.tools import mks
from workshop.tools import ovh as ovh_tools
from workshop.widgets import costs
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.progress import Waiting

Object = dict[str, Any]
INSTALL_SECONDS = 180.0
"""About how long the real service takes to install a cluster (the bar's scale)."""
LATEST = "latest (the API's default)"


def _call(method: str, path: str, **body: Any) -> str:
    args = "".join(f", {k}={v!r}" for k, v in body.items())
    return f"api.{method}({path!r}{args})"


class ClusterWizard(Widget):
    """Name, region, version, flavor and size; **Create** does ``POST .../kube``.

    Regions and flavors come from the capabilities endpoints. The API has none for
    versions (they are an enum of its schema, ``cloud.kube.VersionEnum``): without a
    version it installs the latest, and ``versions=["1.31", ...]`` offers others.
    """

    def __init__(
        self,
        api: ovh.Client,
        *,
        name: str = "lab-08",
        region: str = "GRA11",
        flavor: str = "b3-8",
        nodes: int = 1,
        versions: list[str] | None = None,
        timeout: float = mks.WAIT_TIMEOUT,
    ) -> None:
        self.api = api
        self.timeout = timeout
        self.project = mks.project(api)
        base = f"/cloud/project/{self.project}/capabilities/kube"
        regions = [str(r) for r in api.get(f"{base}/regions")]
        self.name = ipywidgets.Text(value=name, description="name")
        self.region = ipywidgets.Dropdown(
            options=regions, value=region if region in regions else regions[0], description="region"
        )
        self.version = ipywidgets.Dropdown(
            options=[LATEST, *(versions or [])], value=LATEST, description="version"
        )
        self.flavor = ipywidgets.Dropdown(description="flavor")
        self.nodes = ipywidgets.IntSlider(value=nodes, min=0, max=5, description="nodes")
        self.button = ipywidgets.Button(description="Create", button_style="primary", icon="cloud")
        self.progress_area = ipywidgets.VBox()
        self.message = Message()
        self.command = CommandLine("", label="the same in Python")
        super().__init__(
            ipywidgets.HBox([self.name, self.region]),
            ipywidgets.HBox([self.version, self.flavor]),
            ipywidgets.HBox([self.nodes, self.button]),
            self.progress_area,
            self.command.widget,
            self.message.widget,
        )
        self.box.add_class("workshop-clusterwizard")
        self._load_flavors(flavor)
        self.region.observe(lambda _change: self._load_flavors(self.flavor.value), names="value")
        for control in (self.name, self.region, self.version, self.flavor, self.nodes):
            control.observe(lambda _change: self._show_call(), names="value")
        self.button.on_click(lambda _button: self._on_click())
        self._show_call()

    def _load_flavors(self, wanted: str | None) -> None:
        path = f"/cloud/project/{self.project}/capabilities/kube/flavors"
        listed = self.api.get(path, region=self.region.value)
        usable = [f for f in listed if f.get("state", "available") == "available"]
        options = [
            (f"{f['name']} · {f.get('vCPUs')} vCPU · {f.get('ram')} GB", f["name"]) for f in usable
        ]
        names = [value for _, value in options]
        self.flavor.options = options
        self.flavor.value = wanted if wanted in names else (names[0] if names else None)

    def body(self) -> Object:
        """What **Create** sends."""
        found: Object = {"name": self.name.value, "region": self.region.value}
        if self.version.value != LATEST:
            found["version"] = self.version.value
        if self.nodes.value:
            found["nodepool"] = {
                "name": "default-pool",
                "flavorName": self.flavor.value,
                "desiredNodes": self.nodes.value,
            }
        return found

    def _show_call(self) -> None:
        self.command.show(
            _call("post", f"/cloud/project/{self.project}/kube", **self.body()),
            label="the same in Python",
        )

    def _on_click(self) -> None:
        try:
            self.create()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")

    def create(
        self,
        *,
        name: str | None = None,
        region: str | None = None,
        flavor: str | None = None,
        nodes: int | None = None,
    ) -> Object:
        """Create the cluster (unless one of that name exists) and wait until it is READY."""
        for control, value in (
            (self.name, name),
            (self.region, region),
            (self.flavor, flavor),
            (self.nodes, nodes),
        ):
            if value is not None:
                control.value = value
        self._show_call()
        wanted = str(self.name.value)
        found = mks.find_cluster(self.api, self.project, wanted)
        if found is None:
            try:
                created = self.api.post(f"/cloud/project/{self.project}/kube", **self.body())
            except ovh.exceptions.APIError as e:
                raise CloudError(f"the API refused the cluster: {e}") from e
            kube_id = created["id"]
            self.message.show(f"asked for cluster {wanted} ({kube_id})", kind="info")
        else:
            kube_id = found["id"]
            self.message.show(f"cluster {wanted} exists already ({kube_id})", kind="info")
        self.button.disabled = True
        try:
            ready = self._wait(f"/cloud/project/{self.project}/kube/{kube_id}", wanted)
        finally:
            self.button.disabled = False
        self.message.show(
            f"cluster {wanted} is READY: Kubernetes {ready.get('version')} in "
            f"{ready.get('region')}",
            kind="ok",
        )
        return ready

    def _wait(self, path: str, name: str) -> Object:
        def show(widget: Any) -> None:
            self.progress_area.children = (widget,)

        with Waiting(f"installing {name}", timeout=INSTALL_SECONDS, after=0, show=show) as bar:
            return mks.wait_status(
                self.api,
                path,
                "READY",
                timeout=self.timeout,
                progress=lambda got: bar.update(text=str(got.get("status"))),
            )


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
        self.project = mks.project(api)
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
        self.refresh()

    def _guarded(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")
        except ovh.exceptions.APIError as e:
            self.message.show(f"the OVHcloud API refused: {e}", kind="error")

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
            _call("get", f"/cloud/project/{self.project}/kube/{{kubeId}}/nodepool"),
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
            f"<td style='text-align:right'>{html.escape(costs.money(line.hourly, currency))}</td>"
            "</tr>"
            for line in self.bill.lines
        )
        if not rows:
            rows = "<tr><td colspan=5><i>nothing: no cluster in this project</i></td></tr>"
        unpriced = (
            f" ({len(self.bill.unpriced)} line(s) without a price)" if self.bill.unpriced else ""
        )
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
        self.command.show(_call("get", f"/cloud/project/{self.project}/kube"))
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
        self.command.show(_call("delete", f"/cloud/project/{self.project}/kube/{{kubeId}}"))

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
