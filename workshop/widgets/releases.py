"""``ReleasePanel``: the Helm releases of a namespace, their revisions, a values diff, rollback.

What it shows is read from Helm's own storage through the Kubernetes API (one Secret per
revision, labelled ``owner=helm``), followed by a watch: ``helm history`` without a
subprocess, live as releases change. Rolling back runs the real ``helm rollback``. Each
action shows the helm command that does the same by hand.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import ipywidgets
import yaml

from workshop.cluster import Cluster
from workshop.errors import WorkshopError
from workshop.tools import helm
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.watching import Watcher

Object = dict[str, Any]
SELECTOR = "owner=helm"
COLUMNS = ("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION")


@dataclass(frozen=True)
class StoredRevision:
    """One revision of a release, as Helm stored it in its Secret."""

    release: str
    namespace: str
    revision: int
    status: str
    chart: str
    app_version: str
    updated: str
    description: str
    values: Object = field(default_factory=dict)

    def row(self) -> tuple[str, ...]:
        """Its line of ``helm history``."""
        return (
            str(self.revision),
            self.updated,
            self.status,
            self.chart,
            self.app_version,
            self.description,
        )


def stored_revision(secret: Object) -> StoredRevision:
    """A revision from one of Helm's Secrets (``ValueError`` if it is not one)."""
    data = helm.decode_release(secret)
    info = helm.release_info(data)
    labels = (secret.get("metadata") or {}).get("labels") or {}
    updated = str((data.get("info") or {}).get("last_deployed", ""))
    return StoredRevision(
        release=info.name or str(labels.get("name", "")),
        namespace=info.namespace or str((secret.get("metadata") or {}).get("namespace", "")),
        revision=info.revision or int(labels.get("version", 0)),
        status=info.status,
        chart=info.chart_ref,
        app_version=info.app_version,
        updated=updated.replace("T", " ")[:19],
        description=info.description,
        values=info.values,
    )


def group(secrets: list[Object]) -> tuple[dict[str, list[StoredRevision]], list[str]]:
    """Revisions by release, oldest first; and the Secrets that could not be read."""
    found: dict[str, list[StoredRevision]] = {}
    unreadable = []
    for secret in secrets:
        try:
            revision = stored_revision(secret)
        except ValueError as e:
            name = (secret.get("metadata") or {}).get("name", "?")
            unreadable.append(f"{name}: {e}")
            continue
        found.setdefault(revision.release, []).append(revision)
    return {k: sorted(v, key=lambda r: r.revision) for k, v in sorted(found.items())}, unreadable


SECRET_KEY = re.compile(r"password|secret|token|key$", re.IGNORECASE)
# Masks differ when secrets differ, yet say nothing of them: keyed by a random key that
# never leaves this process (no dictionary attack on a short password's hash).
_MASK_KEY = secrets.token_bytes(32)


def mask(value: Any) -> str:
    digest = hmac.new(_MASK_KEY, str(value).encode(), hashlib.sha256).hexdigest()[:8]
    return f"******** ({digest})"


def masked(values: Any) -> Any:
    """``values`` with what looks like a secret (``auth.password``...) masked: a diff
    says that it changed, never what it is."""
    if isinstance(values, dict):
        return {
            k: mask(v) if SECRET_KEY.search(str(k)) and v not in (None, "") else masked(v)
            for k, v in values.items()
        }
    if isinstance(values, list):
        return [masked(v) for v in values]
    return values


def values_yaml(values: Object) -> str:
    """Values as ``helm get values`` prints them (``null`` when none were given), secrets
    masked."""
    if not values:
        return "null\n"
    return yaml.safe_dump(masked(values), sort_keys=True, default_flow_style=False)


def values_diff(old: StoredRevision, new: StoredRevision) -> str:
    """A unified diff of the values two revisions were given (empty when they are equal)."""
    return "".join(
        difflib.unified_diff(
            values_yaml(old.values).splitlines(keepends=True),
            values_yaml(new.values).splitlines(keepends=True),
            fromfile=f"{old.release} revision {old.revision}",
            tofile=f"{new.release} revision {new.revision}",
        )
    )


def render_history(revisions: list[StoredRevision]) -> str:
    head = "".join(f'<th style="text-align:left;padding:2px 10px 2px 0">{c}</th>' for c in COLUMNS)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:left;padding:1px 10px 1px 0">{html.escape(v)}</td>'
            for v in r.row()
        )
        + "</tr>"
        for r in revisions
    )
    return (
        '<table class="ws-table ws-helm-history" style="font-family:var(--jp-code-font-family,'
        f'monospace);font-size:12px;border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def render_diff(diff: str, *, same: str) -> str:
    if not diff:
        return f'<div class="ws-helm-diff" style="color:#57606a;font-size:12px">{same}</div>'
    colours = {"+": "#1a7f37", "-": "#cf222e", "@": "#8250df"}
    lines = []
    for line in diff.splitlines():
        colour = colours.get(line[:1], "#24292f")
        if line.startswith(("+++", "---")):
            colour = "#57606a"
        lines.append(f'<span style="color:{colour}">{html.escape(line)}</span>')
    return (
        '<pre class="ws-helm-diff" style="font-size:12px;margin:4px 0">'
        + "\n".join(lines)
        + "</pre>"
    )


class ReleasePanel(Widget):
    """Helm releases in ``namespace``: pick one, read its history, diff two revisions'
    values, roll back. ``refresh()``, ``select()``, ``diff()`` and ``rollback()`` are the
    controls."""

    def __init__(
        self,
        cluster: Cluster,
        namespace: str = "default",
        release: str | None = None,
        *,
        debounce: float = 0.2,
        start: bool = True,
    ) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.revisions: dict[str, list[StoredRevision]] = {}
        self.unreadable: list[str] = []
        self._wanted = release
        self.picker = ipywidgets.Dropdown(description="release", options=[])
        self.status = ipywidgets.HTML()
        self.table = ipywidgets.HTML('<div class="ws-table-empty">loading...</div>')
        self.old = ipywidgets.Dropdown(description="values of", options=[])
        self.new = ipywidgets.Dropdown(description="against", options=[])
        self.diff_view = ipywidgets.HTML()
        self.target = ipywidgets.Dropdown(description="revision", options=[])
        self.rollback_button = ipywidgets.Button(description="Roll back", button_style="warning")
        self.message = Message()
        self.command = CommandLine(
            helm.command("list", namespace=namespace), label="the same with helm"
        )
        super().__init__(
            self.picker,
            self.status,
            self.table,
            ipywidgets.HBox([self.old, self.new]),
            self.diff_view,
            ipywidgets.HBox([self.target, self.rollback_button]),
            self.command.widget,
            self.message.widget,
        )
        self.box.add_class("workshop-releasepanel")
        self._syncing = False
        self._shown: str | None = None
        self.picker.observe(self._on_pick, names="value")
        self.old.observe(self._on_diff_choice, names="value")
        self.new.observe(self._on_diff_choice, names="value")
        self.rollback_button.on_click(lambda _: self.rollback(self.target.value))
        self._debouncer = Debouncer(self.refresh_quietly, delay=debounce)
        self.watcher = Watcher(
            cluster.api,
            "v1",
            "Secret",
            namespace=namespace,
            label_selector=SELECTOR,
            on_change=self._debouncer.trigger,
            on_error=lambda e: self.message.show(e or "", kind="error" if e else "info"),
        )
        self._claim(cluster.context, namespace)
        if start:
            self.watcher.start()
        else:
            self.refresh_quietly()

    # -- what is shown ------------------------------------------------------------------

    @property
    def releases(self) -> list[str]:
        return list(self.revisions)

    @property
    def release(self) -> str | None:
        """The release shown (``None`` when the namespace has none)."""
        value = self.picker.value
        return str(value) if value else None

    @property
    def history(self) -> list[StoredRevision]:
        """The shown release's revisions, oldest first (``helm history``)."""
        return list(self.revisions.get(self.release or "", []))

    @property
    def latest(self) -> StoredRevision | None:
        history = self.history
        return history[-1] if history else None

    def revision(self, number: int) -> StoredRevision:
        for found in self.history:
            if found.revision == number:
                return found
        known = ", ".join(str(r.revision) for r in self.history) or "none"
        raise WorkshopError(
            f"release {self.release} has no revision {number} (revisions: {known})",
            hint=f"`{helm.command('history', self.release or 'RELEASE', namespace=self.namespace)}`"
            " lists them",
        )

    # -- the controls -------------------------------------------------------------------

    def refresh(self) -> list[str]:
        """Read every release's revisions now; the release names."""
        secrets = (
            self.watcher.objects
            if self.watcher.running and self.watcher.synced.is_set()
            else self.cluster.api.list(
                "v1", "Secret", namespace=self.namespace, label_selector=SELECTOR
            )
        )
        self.revisions, self.unreadable = group(secrets)
        self._render()
        return self.releases

    def refresh_quietly(self) -> None:
        """``refresh`` for the background: a failure is shown, not raised."""
        try:
            self.refresh()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")

    def select(self, release: str) -> None:
        """Show ``release`` (its history, and the diff of its last two revisions)."""
        if release not in self.revisions:
            known = ", ".join(self.releases) or "none"
            raise WorkshopError(
                f"no helm release {release} in namespace {self.namespace} (releases: {known})",
                hint=f"`{helm.command('list', namespace=self.namespace)}` lists them",
            )
        self._wanted = release
        self.picker.value = release
        self._render()

    def diff(self, old: int | None = None, new: int | None = None) -> str:
        """The values diff between revisions ``old`` and ``new`` (default: the last two)."""
        text, older, newer = self._draw_diff(old, new)
        if older is not None and newer is not None:
            self.command.show(
                f"diff <({self._get_values(older)}) <({self._get_values(newer)})",
                label="the same with helm",
            )
        return text

    def _draw_diff(
        self, old: int | None = None, new: int | None = None
    ) -> tuple[str, int | None, int | None]:
        history = self.history
        if not history:
            self.diff_view.value = ""
            return "", None, None
        newer = self.revision(new) if new else history[-1]
        older = self.revision(old) if old else (history[-2] if len(history) > 1 else newer)
        text = values_diff(older, newer)
        self.diff_view.value = render_diff(
            text,
            same=f"revisions {older.revision} and {newer.revision} were given the same values",
        )
        self._sync_diff_pickers(older.revision, newer.revision)
        return text, older.revision, newer.revision

    def rollback(self, revision: int | None = None, *, wait: bool = False) -> bool:
        """``helm rollback RELEASE [REVISION]`` with the real helm; ``False`` (and helm's
        message) when it fails."""
        release = self.release
        if release is None:
            self.message.show(f"no helm release in namespace {self.namespace}", kind="error")
            return False
        self.command.show(
            helm.command(
                *helm.rollback_args(release, revision, wait=wait), namespace=self.namespace
            ),
            label="the same with helm",
        )
        try:
            made = helm.rollback(
                self.cluster, release, revision, namespace=self.namespace, wait=wait
            )
        except WorkshopError as e:
            self.message.show(str(e), kind="error")
            return False
        self.message.show(
            f"{release}: revision {made.revision} is {made.status} ({made.description})", kind="ok"
        )
        self.refresh_quietly()
        return True

    def stop(self) -> None:
        self.watcher.stop()
        self._debouncer.close()

    # -- drawing ------------------------------------------------------------------------

    def _get_values(self, revision: int) -> str:
        return helm.command(
            "get",
            "values",
            self.release or "RELEASE",
            "--revision",
            str(revision),
            namespace=self.namespace,
        )

    def _render(self) -> None:
        self._syncing = True
        try:
            names = self.releases
            self.picker.options = names
            if self._wanted in names:
                self.picker.value = self._wanted
            elif names and self.picker.value not in names:
                self.picker.value = names[0]
            history = self.history
            numbers = [r.revision for r in history]
            self.target.options = [(f"{r.revision}: {r.description}", r.revision) for r in history]
            earlier = numbers[:-1]
            if earlier:
                self.target.value = earlier[-1]
            self.rollback_button.disabled = not earlier
        finally:
            self._syncing = False
        if not history:
            self.status.value = ""
            self.table.value = (
                '<div class="ws-table-empty" style="color:#57606a;font-size:12px">'
                f"No helm release in namespace {html.escape(self.namespace)}.</div>"
            )
            self.diff_view.value = ""
            return
        latest = history[-1]
        colour = "#1a7f37" if latest.status == "deployed" else "#9a6700"
        self.status.value = (
            f'<div style="font-size:13px"><b>{html.escape(latest.release)}</b>: revision '
            f'{latest.revision}, <span style="color:{colour}">{html.escape(latest.status)}'
            f"</span>, chart {html.escape(latest.chart)} (app {html.escape(latest.app_version)})"
            "</div>"
        )
        self.table.value = render_history(history)
        self._draw_diff()
        if self._shown != latest.release:  # a new release: how to list its history by hand
            self._shown = latest.release
            self.command.show(
                helm.command("history", latest.release, namespace=self.namespace),
                label="the same with helm",
            )
        if self.unreadable:
            self.message.show("unreadable: " + "; ".join(self.unreadable), kind="error")

    def _sync_diff_pickers(self, old: int, new: int) -> None:
        self._syncing = True
        try:
            options = [r.revision for r in self.history]
            self.old.options = options
            self.new.options = options
            self.old.value, self.new.value = old, new
        finally:
            self._syncing = False

    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._syncing and change["new"]:
            self._wanted = str(change["new"])
            self._render()

    def _on_diff_choice(self, change: dict[str, Any]) -> None:
        if not self._syncing and self.old.value and self.new.value:
            self.diff(int(self.old.value), int(self.new.value))
