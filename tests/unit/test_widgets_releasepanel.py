"""ReleasePanel reads Helm's release Secrets (held in memory here): releases, history, the
values diff between revisions, and the helm command for each action."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from workshop.course import RecordedCluster
from workshop.errors import WorkshopError
from workshop.widgets import ReleasePanel
from workshop.widgets.releases import group, mask, masked, values_diff

NS = "lab-05"


def stored(
    release: str,
    version: int,
    status: str,
    description: str,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "name": release,
        "namespace": NS,
        "version": version,
        "info": {
            "status": status,
            "description": description,
            "last_deployed": f"2026-11-26T09:2{version}:00.123456Z",
        },
        "chart": {"metadata": {"name": "wordpress", "version": "0.1.0", "appVersion": "6.7.1"}},
        "config": config or {},
    }
    inner = base64.b64encode(gzip.compress(json.dumps(body).encode()))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{release}.v{version}",
            "namespace": NS,
            "labels": {"owner": "helm", "name": release, "version": str(version)},
        },
        "data": {"release": base64.b64encode(inner).decode()},
    }


class Connection:
    """What ReleasePanel reads a cluster with: a context name and an API."""

    def __init__(self, *objects: dict[str, Any]) -> None:
        self.context = "recorded"
        self.api = RecordedCluster(objects)


BLOG = [
    stored("blog", 1, "superseded", "Install complete", {"service": {"type": "ClusterIP"}}),
    stored(
        "blog",
        2,
        "superseded",
        "Upgrade complete",
        {"service": {"type": "ClusterIP"}, "wordpress": {"replicas": 2}},
    ),
    stored("blog", 3, "deployed", "Rollback to 1", {"service": {"type": "ClusterIP"}}),
]


def panel(*objects: dict[str, Any], release: str | None = None) -> ReleasePanel:
    return ReleasePanel(Connection(*objects), NS, release, start=False)  # type: ignore[arg-type]


def test_releases_history_and_status_as_helm_shows_them() -> None:
    shown = panel(*BLOG, stored("hello", 1, "deployed", "Install complete"))
    assert shown.releases == ["blog", "hello"]
    assert shown.release == "blog"
    assert [r.row() for r in shown.history][-1] == (
        "3",
        "2026-11-26 09:23:00",
        "deployed",
        "wordpress-0.1.0",
        "6.7.1",
        "Rollback to 1",
    )
    assert "Rollback to 1" in shown.table.value and "REVISION" in shown.table.value
    assert "revision 3" in shown.status.value and "deployed" in shown.status.value
    assert shown.command.command == "helm history blog -n lab-05"
    # the last two revisions are diffed at once; rollback targets the one before the last
    assert shown.target.value == 2
    assert not shown.rollback_button.disabled


def test_the_values_diff_between_two_revisions() -> None:
    shown = panel(*BLOG)
    text = shown.diff(1, 2)
    assert text.splitlines()[:2] == ["--- blog revision 1", "+++ blog revision 2"]
    assert "+wordpress:" in text and "+  replicas: 2" in text
    assert shown.command.command == (
        "diff <(helm get values blog --revision 1 -n lab-05) "
        "<(helm get values blog --revision 2 -n lab-05)"
    )
    assert (shown.old.value, shown.new.value) == (1, 2)
    assert shown.diff(1, 3) == ""
    assert "were given the same values" in shown.diff_view.value
    with pytest.raises(
        WorkshopError, match=r"release blog has no revision 9 \(revisions: 1, 2, 3\)"
    ):
        shown.diff(1, 9)


def test_choosing_revisions_in_the_dropdowns_redraws_the_diff() -> None:
    shown = panel(*BLOG)
    shown.old.value = 2
    shown.new.value = 3
    assert "-  replicas: 2" in shown.diff_view.value


def test_selecting_a_release_and_an_unknown_one() -> None:
    shown = panel(*BLOG, stored("hello", 1, "deployed", "Install complete"), release="hello")
    assert shown.release == "hello"
    assert shown.rollback_button.disabled  # one revision: nothing to go back to
    assert shown.diff() == ""
    shown.select("blog")
    assert shown.latest is not None and shown.latest.revision == 3
    with pytest.raises(WorkshopError, match="no helm release shop in namespace lab-05"):
        shown.select("shop")


def test_an_empty_namespace_and_an_unreadable_secret() -> None:
    empty = panel()
    assert empty.releases == [] and empty.release is None
    assert "No helm release in namespace lab-05" in empty.table.value
    assert not empty.rollback()
    assert empty.message.kind == "error"
    broken = stored("blog", 4, "deployed", "Upgrade complete")
    broken["data"]["release"] = base64.b64encode(b"garbage").decode()
    shown = panel(*BLOG, broken)
    assert [r.revision for r in shown.history] == [1, 2, 3]
    assert shown.message.kind == "error" and "sh.helm.release.v1.blog.v4" in shown.message.text


def test_group_and_diff_are_pure() -> None:
    grouped, unreadable = group(list(reversed(BLOG)))
    assert [r.revision for r in grouped["blog"]] == [1, 2, 3] and unreadable == []
    first, second = grouped["blog"][:2]
    assert values_diff(first, first) == ""
    assert values_diff(first, second).endswith("+wordpress:\n+  replicas: 2\n")


def test_secrets_in_values_are_masked_in_the_diff() -> None:
    shown = panel(
        stored("blog", 1, "superseded", "Install complete", {"auth": {"password": "hunter2"}}),
        stored("blog", 2, "deployed", "Upgrade complete", {"auth": {"password": "s3cr3t-2"}}),
    )
    text = shown.diff()
    assert "hunter2" not in text and "s3cr3t-2" not in text
    assert "hunter2" not in shown.diff_view.value
    removed, added = [line for line in text.splitlines() if "password:" in line]
    assert removed.startswith("-  password: '******** (") and added.startswith("+  password:")
    assert removed[1:] != added[1:]  # it changed, and the diff says so
    assert masked({"image": {"tag": "1"}, "apiKey": "", "list": [{"token": "x"}]}) == {
        "image": {"tag": "1"},
        "apiKey": "",
        "list": [{"token": mask("x")}],
    }
