"""workshop.tools.helm without a cluster: helm's JSON and text parsed, the flags built, the
binary found, and helm's errors turned into one readable line with a hint."""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path

import pytest

from workshop.tools import helm

# What helm v4.3.1 printed against the sandbox (`helm list/history/status -o json`).
LIST = (
    '[{"name":"web","namespace":"t1","revision":"3","updated":"2026-11-26 09:23:40.535482861 '
    '+0000 UTC","status":"deployed","chart":"x-0.1.0","app_version":"1.16.0"}]'
)
HISTORY = (
    '[{"revision":1,"updated":"2026-11-26T09:23:40.535482861Z","status":"superseded",'
    '"chart":"x-0.1.0","app_version":"1.16.0","description":"Install complete"},'
    '{"revision":2,"updated":"2026-11-26T09:23:47.236523828Z","status":"superseded",'
    '"chart":"x-0.1.0","app_version":"1.16.0","description":"Upgrade complete"},'
    '{"revision":3,"updated":"2026-11-26T09:23:50.889481891Z","status":"deployed",'
    '"chart":"x-0.1.0","app_version":"1.16.0","rollback_revision":1,"description":"Rollback to 1"}]'
)
STATUS = {
    "name": "web",
    "namespace": "t1",
    "version": 2,
    "info": {
        "first_deployed": "2026-11-26T09:23:40.535482861Z",
        "last_deployed": "2026-11-26T09:23:47.236523828Z",
        "description": "Upgrade complete",
        "status": "deployed",
        "notes": "1. Get the application URL",
    },
    "chart": {"metadata": {"name": "x", "version": "0.1.0", "appVersion": "1.16.0"}},
    "config": {"image": {"repository": "nginx", "tag": "1.27"}, "replicaCount": 2},
    "manifest": "---\n",
}


def test_list_history_and_status_are_typed() -> None:
    [release] = helm.parse_list(LIST)
    assert (release.name, release.revision, release.status, release.chart) == (
        "web",
        3,
        "deployed",
        "x-0.1.0",
    )
    history = helm.parse_history(HISTORY)
    assert [(r.revision, r.status, r.description) for r in history] == [
        (1, "superseded", "Install complete"),
        (2, "superseded", "Upgrade complete"),
        (3, "deployed", "Rollback to 1"),
    ]
    assert [r.rollback_revision for r in history] == [None, None, 1]
    info = helm.parse_release(json.dumps(STATUS))
    assert (info.revision, info.status, info.chart_ref, info.app_version) == (
        2,
        "deployed",
        "x-0.1.0",
        "1.16.0",
    )
    assert info.values == {"image": {"repository": "nginx", "tag": "1.27"}, "replicaCount": 2}
    assert helm.parse_list("[]") == [] and helm.parse_history("null") == []


def test_output_that_is_not_json_is_a_helm_error() -> None:
    with pytest.raises(helm.HelmError, match="helm history: helm did not print JSON"):
        helm.parse_history("Error: oops")


def test_a_release_secret_decodes_like_helm_stores_it() -> None:
    inner = base64.b64encode(gzip.compress(json.dumps(STATUS).encode()))
    secret = {"data": {"release": base64.b64encode(inner).decode()}}
    assert helm.release_info(helm.decode_release(secret)).values["replicaCount"] == 2
    with pytest.raises(ValueError, match=r"no data\.release"):
        helm.decode_release({"data": {}})
    with pytest.raises(ValueError, match="not a Helm release"):
        helm.decode_release({"data": {"release": base64.b64encode(b"plain").decode()}})


def test_errors_keep_helms_words_without_its_log_lines() -> None:
    stderr = (
        'level=ERROR msg="release name check failed" error="cannot reuse a name that is still '
        'in use"\nError: INSTALLATION FAILED: release name check failed: cannot reuse a name '
        "that is still in use\n"
    )
    message = helm.error_message(stderr)
    assert message == (
        "INSTALLATION FAILED: release name check failed: cannot reuse a name that is still in use"
    )
    hint = helm.hint_for(message, ("install", "blog", "./chart"), "lab-05")
    assert hint is not None and "`helm upgrade blog CHART -n lab-05` changes it" in hint
    schema = (
        "Error: values don't meet the specifications of the schema(s) in the following "
        "chart(s):\nwordpress:\n- at '/service/type': value must be one of 'ClusterIP', "
        "'NodePort', 'LoadBalancer'\n"
    )
    assert helm.error_message(schema).endswith(
        "wordpress:\n- at '/service/type': value must be one of 'ClusterIP', 'NodePort', "
        "'LoadBalancer'"
    )
    assert "values.schema.json" in (helm.hint_for(helm.error_message(schema), (), None) or "")
    assert helm.error_message("") == "helm exited with an error and printed nothing"
    assert helm.hint_for("something else", ("list",), None) is None


def test_lint_lines_with_their_continuations() -> None:
    output = (
        "==> Linting y\n[INFO] Chart.yaml: icon is recommended\n"
        "[ERROR] templates/: x/templates/bad.yaml:1:10\n"
        '  executing "x/templates/bad.yaml" at <.Values.nope.deeper>:\n'
        "    nil pointer evaluating interface {}.deeper\n\n"
    )
    result = helm.parse_lint(output, ok=False)
    assert [m.severity for m in result.messages] == ["INFO", "ERROR"]
    assert result.problems[0].text.splitlines() == [
        "templates/: x/templates/bad.yaml:1:10",
        'executing "x/templates/bad.yaml" at <.Values.nope.deeper>:',
        "nil pointer evaluating interface {}.deeper",
    ]


def test_flags_as_a_learner_would_type_them() -> None:
    args = helm.upgrade_args(
        "blog",
        "./chart",
        reuse_values=True,
        set_values={"wordpress.replicas": 2, "wordpress.debug": True},
        wait=True,
        timeout="2m",
    )
    assert helm.command(*args, namespace="lab-05") == (
        "helm upgrade blog ./chart --reuse-values --set wordpress.replicas=2 "
        "--set wordpress.debug=true --wait --timeout=2m -n lab-05"
    )
    assert helm.install_args("blog", Path("c"), values_files=["v.yaml"], create_namespace=True) == [
        "install",
        "blog",
        "c",
        "-f",
        "v.yaml",
        "--create-namespace",
    ]
    assert helm.rollback_args("blog") == ["rollback", "blog"]
    assert helm.rollback_args("blog", 3, wait=True) == [
        "rollback",
        "blog",
        "3",
        "--wait",
        "--timeout=5m0s",
    ]
    assert helm.command("get", "values", "it's") == "helm get values 'it'\"'\"'s'"


def test_the_cache_folder_is_the_one_workshop_binaries_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workshop.binaries.cache import cached_path
    from workshop.binaries.catalogue import get_binary

    monkeypatch.setenv("WORKSHOP_CACHE", str(tmp_path))
    assert helm.cached() is None
    pinned = cached_path(get_binary("helm"))
    for folder in (pinned.parent, tmp_path / "bin" / "helm-v3.9.0", tmp_path / "bin" / "helm-vX"):
        folder.mkdir(parents=True)
        (folder / "helm").write_text("#!/bin/sh\n")
        (folder / "helm").chmod(0o755)
    assert helm.cached() == pinned  # the newest version, in the layout binaries/ writes


def test_workshop_helm_must_be_an_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_HELM", str(tmp_path / "nothing"))
    with pytest.raises(helm.HelmError, match="is not an executable file"):
        helm.binary()
    monkeypatch.setenv("WORKSHOP_HELM", os.devnull)
    with pytest.raises(helm.HelmError):
        helm.binary()
