"""``ResourceTable``: a live ``kubectl get`` for one kind in one namespace (or all).

The columns are the API server's own (the ``Table`` form kubectl prints), re-fetched after
each change that a watch reports, debounced; so it matches ``kubectl get`` column for column,
custom resources included.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import ipywidgets
import urllib3
from kubernetes.client import ApiException

from workshop.cluster import Cluster
from workshop.errors import ClusterError
from workshop.widgets import commands, kinds
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.watching import Watcher

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json"


@dataclass(frozen=True)
class Rows:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> list[str]:
        """The cells of one column (none before the first fetch)."""
        if not self.columns:
            return []
        index = self.columns.index(name.upper())
        return [row[index] for row in self.rows]


def _cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "<none>"
    return str(value)


def from_table(table: dict[str, Any], *, wide: bool = False, namespaces: bool = False) -> Rows:
    """kubectl's columns from a ``meta.k8s.io/v1 Table``: priority 0 unless ``wide``."""
    definitions = table.get("columnDefinitions") or []
    keep = [i for i, d in enumerate(definitions) if wide or not d.get("priority")]
    columns = [str(definitions[i].get("name", "")).upper() for i in keep]
    rows = []
    for row in table.get("rows") or []:
        cells = row.get("cells") or []
        values = [_cell(cells[i]) if i < len(cells) else "" for i in keep]
        if namespaces:
            meta = (row.get("object") or {}).get("metadata") or {}
            values.insert(0, str(meta.get("namespace") or ""))
        rows.append(tuple(values))
    if namespaces:
        columns.insert(0, "NAMESPACE")
    return Rows(tuple(columns), tuple(rows))


def render(rows: Rows, *, empty: str) -> str:
    if not rows.rows:
        return f'<div class="ws-table-empty" style="color:#57606a;font-size:12px">{empty}</div>'
    head = "".join(
        f'<th style="text-align:left;padding:2px 10px 2px 0">{html.escape(c)}</th>'
        for c in rows.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:left;padding:1px 10px 1px 0">{html.escape(v)}</td>' for v in r
        )
        + "</tr>"
        for r in rows.rows
    )
    return (
        '<table class="ws-table" style="font-family:var(--jp-code-font-family,monospace);'
        f'font-size:12px;border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


class ResourceTable(Widget):
    """``kubectl get KIND -n NAMESPACE``, kept up to date. ``rows`` is what is shown."""

    def __init__(
        self,
        cluster: Cluster,
        kind: str,
        namespace: str | None = None,
        *,
        api_version: str | None = None,
        label_selector: str | None = None,
        wide: bool = False,
        debounce: float = 0.2,
        start: bool = True,
    ) -> None:
        self.cluster = cluster
        self.kind = kinds.resolve(kind, api_version)
        self.namespace = namespace
        self.label_selector = label_selector
        self.wide = wide
        self.rows = Rows((), ())
        self.fetches = 0
        self._table = ipywidgets.HTML('<div class="ws-table-empty">loading...</div>')
        self.message = Message()
        args = ["get", self.kind.kubectl_name]
        if label_selector:
            args += ["-l", label_selector]
        if wide:
            args += ["-o", "wide"]
        if namespace is None and self._namespaced():
            args.append("-A")
        self.command = CommandLine(
            commands.kubectl(*args, "--watch", namespace=namespace),
            label="the same with kubectl",
        )
        super().__init__(self._table, self.message.widget, self.command.widget)
        self._debouncer = Debouncer(self.refresh_quietly, delay=debounce)
        self.watcher = Watcher(
            cluster.api,
            self.kind.api_version,
            self.kind.kind,
            namespace=namespace,
            label_selector=label_selector,
            on_change=self._debouncer.trigger,
            on_error=self._on_error,
        )
        self._claim(cluster.context, self.kind.kind, namespace or "", label_selector or "")
        if start:
            self.watcher.start()

    def _namespaced(self) -> bool:
        try:
            return self.cluster.api.resource(self.kind.api_version, self.kind.kind).namespaced
        except ClusterError:
            return True

    def refresh(self) -> Rows:
        """Fetch the table now (``ClusterError`` if the cluster refuses or does not answer)."""
        resource = self.cluster.api.resource(self.kind.api_version, self.kind.kind)
        query = [("labelSelector", self.label_selector)] if self.label_selector else []
        answer = self._get_table(resource.path(self.namespace), query)
        self.fetches += 1
        namespaces = self.namespace is None and resource.namespaced
        self.rows = from_table(answer, wide=self.wide, namespaces=namespaces)
        where = f" in namespace {self.namespace}" if self.namespace else ""
        self._table.value = render(
            self.rows, empty=f"No {self.kind.kubectl_name.split('.')[0]} found{where}."
        )
        return self.rows

    def refresh_quietly(self) -> None:
        """``refresh`` for the background: a failure is shown, not raised."""
        try:
            self.refresh()
        except ClusterError as e:
            self.message.show(str(e), kind="error")
        else:
            if self.message.kind == "error" and not self.watcher.error:
                self.message.show("")

    def _on_error(self, error: str | None) -> None:
        self.message.show(error or "", kind="error" if error else "info")

    def _get_table(self, path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        """GET in the ``Table`` form (``KubeApi.request`` always asks for plain JSON)."""
        client = self.cluster.api.api_client
        try:
            serialized = client.param_serialize(
                "GET",
                path,
                query_params=query,
                header_params={"Accept": TABLE_ACCEPT},
                auth_settings=["BearerToken"],
            )
            response = client.call_api(*serialized, _request_timeout=15.0)
            data: bytes = response.read() or b""  # type: ignore[no-untyped-call]
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as e:
            raise ClusterError(
                f"cannot reach the cluster at {self.cluster.server}: {e}",
                context=self.cluster.context,
                hint="is the cluster running? `workshop sandbox up` starts the local sandbox",
            ) from e
        if not 200 <= response.status < 300:
            try:
                message = json.loads(data).get("message") or ""
            except ValueError:
                message = data.decode(errors="replace")[:300]
            raise ClusterError(
                f"kubectl get {self.kind.kubectl_name} refused ({response.status}): {message}",
                context=self.cluster.context,
                status=response.status,
            )
        table: dict[str, Any] = json.loads(data)
        return table

    def stop(self) -> None:
        self.watcher.stop()
        self._debouncer.close()
