"""What ApplyBox says about the YAML in its editor, before anything reaches a cluster."""

from __future__ import annotations

import pytest

from workshop.widgets import ApplyBox, ManifestError, manifests

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 3
"""


def test_several_documents_and_empty_ones() -> None:
    docs = manifests.parse(
        DEPLOYMENT + "---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
    )
    assert [manifests.name_of(d) for d in docs] == ["deployment/hello", "service/s"]


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("", "the editor is empty", None),
        ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n bad: x\n", "not valid YAML: line 5", 5),
        ("- a\n- b\n", "document 1 is a list, not a manifest", None),
        ("apiVersion: v1\nkind: Pod\nmetadata: {}\n", "lacks metadata.name", None),
        ("kind: Pod\nmetadata: {name: a}\n", "lacks apiVersion", None),
        ("---\n---\n", "no manifest in the editor", None),
    ],
)
def test_readable_errors(text: str, words: str, line: int | None) -> None:
    with pytest.raises(ManifestError) as caught:
        manifests.parse(text)
    assert words in str(caught.value)
    assert caught.value.line == line
    assert caught.value.hint


def test_diff_leaves_out_what_the_server_manages() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "uid": "u", "resourceVersion": "9", "managedFields": [{}]},
        "data": {"a": "1"},
        "status": {"x": 1},
    }
    planned = {
        **live,
        "metadata": {**live["metadata"], "resourceVersion": "10"},
        "data": {"a": "2"},
    }
    text = manifests.diff(live, planned, name="configmap/c")
    assert "-  a: '1'" in text and "+  a: '2'" in text
    assert "resourceVersion" not in text and "uid" not in text and "status" not in text
    assert manifests.diff(live, live, name="configmap/c") == ""
    assert "(not there yet)" in manifests.diff(None, planned, name="configmap/c")


class Unreachable:
    """A cluster that must not be called: parse errors stop before any request."""

    context = "nowhere"

    @property
    def api(self) -> object:
        raise AssertionError("the cluster was called")


@pytest.mark.parametrize("action", ["apply", "diff", "delete"])
def test_a_yaml_error_is_shown_and_the_editor_keeps_its_text(action: str) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n"
    box = ApplyBox(Unreachable(), text)  # type: ignore[arg-type]
    assert getattr(box, action)() is False
    assert box.text == text
    assert not box.ok
    assert "not valid YAML" in box.message.text and box.message.kind == "error"
    assert box.command.command.startswith(f"kubectl {action}")
