"""``ClusterWizard``: create an OVHcloud Managed Kubernetes cluster from a form.

The regions and flavors are those of the API's capabilities endpoints; **Create** sends
``POST /cloud/project/{serviceName}/kube`` and a progress bar follows the cluster until it
is ``READY``. The call is shown in Python beside the form.
"""

from __future__ import annotations

from typing import Any

import ipywidgets
import ovh

from workshop.errors import CloudError, WorkshopError
from workshop.tools import mks
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.errors import api_error
from workshop.widgets.progress import Waiting

Object = dict[str, Any]
INSTALL_SECONDS = 180.0
"""About how long the real service takes to install a cluster (the bar's scale)."""
LATEST = "latest (the API's default)"


def api_call(method: str, path: str, **body: Any) -> str:
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
        self._project: str | None = None
        regions: list[str] = []
        failed: WorkshopError | None = None
        try:
            base = f"/cloud/project/{self.project}/capabilities/kube"
            regions = [str(r) for r in api.get(f"{base}/regions")]
        except WorkshopError as e:
            failed = e
        except ovh.exceptions.APIError as e:
            failed = api_error(e, "list the regions")
        self.name = ipywidgets.Text(value=name, description="name")
        self.region = ipywidgets.Dropdown(
            options=regions,
            value=region if region in regions else (regions[0] if regions else None),
            description="region",
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
        if failed is None:
            try:
                self._load_flavors(flavor)
            except WorkshopError as e:
                failed = e
            except ovh.exceptions.APIError as e:
                failed = api_error(e, "list the flavors")
        if failed is not None:  # shown in the notebook, not raised into it
            self.message.show(str(failed), kind="error")
            self.button.disabled = True
        self.region.observe(lambda _change: self._load_flavors(self.flavor.value), names="value")
        for control in (self.name, self.region, self.version, self.flavor, self.nodes):
            control.observe(lambda _change: self._show_call(), names="value")
        self.button.on_click(lambda _button: self._on_click())
        self._show_call()

    @property
    def project(self) -> str:
        """The Public Cloud project (looked up once, on first use)."""
        if self._project is None:
            self._project = mks.project(self.api)
        return self._project

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
            api_call(
                "post", f"/cloud/project/{self._project or '{serviceName}'}/kube", **self.body()
            ),
            label="the same in Python",
        )

    def _on_click(self) -> None:
        try:
            self.create()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")
        except ovh.exceptions.APIError as e:  # e.g. the API stopped answering while waiting
            self.message.show(str(api_error(e, "create the cluster")), kind="error")

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
