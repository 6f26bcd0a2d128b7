"""Every widget's error path: the widget shows the message, the kernel does not raise.

The bad states are real: a kubeconfig whose API server does not answer (the official
client against a closed loopback port), an OVHcloud API that does not answer (the ``ovh``
client against a closed port), a progress store that cannot be written (under a regular
file: see tests/unit/test_cli_no_traceback.py for why not chmod), an image layout that is
not one. Each widget exported by ``workshop.widgets`` is listed below, so a new one must say
how it fails; a WorkshopError that reaches a notebook cell shows as one sentence (IPython).
"""

from __future__ import annotations

import inspect
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ovh
import pytest
from kubernetes import config as kube_config

from workshop import widgets
from workshop.cluster import Cluster
from workshop.course import ProgressStore
from workshop.errors import ClusterError, WorkshopError
from workshop.operators import Journal
from workshop.widgets.base import Message, Widget

from .test_widgets_checkbutton import NAMESPACE
from .test_widgets_checkbutton import Connection as RecordedConnection
from .test_widgets_cloud import PRICES
from .test_widgets_questions import write_lab

UNREACHABLE = "cannot reach the cluster"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def dead(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster whose API server is gone (a stopped sandbox): connection refused."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": f"https://127.0.0.1:{closed_port()}"}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "dead", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "dead",
            }
        )
    )
    client = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(path), context="dead", persist_config=False
    )
    cluster = Cluster((path,), "dead", client)
    yield cluster
    cluster.close()


@pytest.fixture
def dead_ovh(monkeypatch: pytest.MonkeyPatch) -> ovh.Client:
    """An ``ovh`` client for an emulated API that is not running any more."""
    monkeypatch.setitem(
        ovh.client.ENDPOINTS, "workshop-gone", f"http://127.0.0.1:{closed_port()}/1.0"
    )
    monkeypatch.delenv("OVH_CLOUD_PROJECT_SERVICE", raising=False)
    return ovh.Client(
        endpoint="workshop-gone",
        application_key="a",
        application_secret="s",
        consumer_key="c",
        timeout=5,
    )


@pytest.fixture
def unwritable(tmp_path: Path) -> ProgressStore:
    (tmp_path / "a-file").write_text("")
    return ProgressStore(tmp_path / "a-file" / "progress.json")


def shown_error(message: Message) -> str:
    assert message.kind == "error", message.text
    assert message.text
    assert "Traceback" not in message.text
    return message.text


def eventually(read: Callable[[], str], wanted: str, *, timeout: float = 20.0) -> str:
    """What ``read`` shows once it contains ``wanted`` (a watch thread fills it in)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = read()
        if wanted in seen or time.monotonic() >= deadline:
            assert wanted in seen, seen
            return seen
        time.sleep(0.05)


# -- a cluster that does not answer --------------------------------------------------------


def test_applybox_on_a_dead_cluster(dead: Cluster) -> None:
    box = widgets.ApplyBox(dead, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    for action in (box.apply, box.diff, box.delete):
        action()
        assert UNREACHABLE in shown_error(box.message)


def test_checkbutton_on_a_dead_cluster(dead: Cluster, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.json")
    button = widgets.CheckButton(
        dead, "00-welcome", "namespace", progress_store=store, strict=False
    )
    assert UNREACHABLE in shown_error(button.message)
    assert button.result is None
    button.button.click()
    assert UNREACHABLE in shown_error(button.message)


def test_classboard_on_a_dead_cluster(dead: Cluster) -> None:
    board = widgets.ClassBoard(dead, "k8s101")
    try:
        assert UNREACHABLE in shown_error(board.message)
    finally:
        board.stop()


def test_clusterview_on_a_dead_cluster(dead: Cluster) -> None:
    view = widgets.ClusterView(dead, namespace="lab-01")
    try:
        eventually(lambda: view.error or "", UNREACHABLE)
        eventually(lambda: view.html, "cannot reach")
    finally:
        view.stop()


@pytest.mark.parametrize(
    "make",
    [
        lambda c: widgets.ResourceTable(c, "pods", "lab-01"),
        lambda c: widgets.LogView(c, "deployment/hello", "lab-01"),
        lambda c: widgets.ReleasePanel(c, "lab-01"),
        lambda c: widgets.ScaleSlider(c, "hello", "lab-01"),
    ],
    ids=["ResourceTable", "LogView", "ReleasePanel", "ScaleSlider"],
)
def test_a_watching_widget_on_a_dead_cluster(make: Callable[[Cluster], Any], dead: Cluster) -> None:
    widget = make(dead)
    try:
        eventually(lambda: widget.message.text, UNREACHABLE)
        assert widget.message.kind == "error"
    finally:
        widget.stop()


def test_scaleslider_moved_on_a_dead_cluster(dead: Cluster) -> None:
    slider = widgets.ScaleSlider(dead, "hello", "lab-01", start=False)
    slider.slider.value = 3
    assert UNREACHABLE in shown_error(slider.message)


def test_use_and_service_url_on_a_dead_cluster(dead: Cluster) -> None:
    assert "context dead" in widgets.use(dead)  # no call to the cluster
    with pytest.raises(ClusterError) as raised:  # a function: the notebook shows the sentence
        widgets.service_url(dead, "hello", "lab-01")
    assert raised.value._render_traceback_() == [f"\x1b[31mClusterError:\x1b[0m {raised.value}"]


def test_breakit_on_a_dead_cluster_says_it_in_one_red_sentence(
    dead: Cluster, tmp_path: Path
) -> None:
    lab = write_lab(tmp_path)
    widget = widgets.BreakIt(dead, lab, "fix-colour", strict=False)
    assert isinstance(widget.error, ClusterError) and widget.breaks == 0
    assert (
        UNREACHABLE in widget.report.value and 'class="ws-message ws-error"' in widget.report.value
    )
    assert "Traceback" not in widget.report.value
    with pytest.raises(ClusterError):  # the notebook tests see it
        widgets.BreakIt(dead, lab, "fix-colour", strict=True)


def test_cleanup_on_a_dead_cluster_says_it_in_one_red_sentence(
    dead: Cluster, tmp_path: Path
) -> None:
    widget = widgets.CleanupButton(dead, write_lab(tmp_path), timeout=5)
    widget.click()
    assert widget.confirm() is None
    assert isinstance(widget.error, ClusterError)
    assert UNREACHABLE in widget.report.value and "Traceback" not in widget.report.value
    assert not widget.button.disabled  # it can be tried again


# -- progress that cannot be saved ---------------------------------------------------------


def test_predict_and_quiz_show_an_answer_that_cannot_be_saved(
    unwritable: ProgressStore, tmp_path: Path
) -> None:
    lab = write_lab(tmp_path)
    connection = RecordedConnection()
    predict = widgets.Predict(connection, lab, "make", progress_store=unwritable)  # type: ignore[arg-type]
    assert predict.choose(1) and "✔ Right." in predict.feedback.value
    assert "not saved" in shown_error(predict.note)
    quiz = widgets.Quiz(connection, lab, progress_store=unwritable)  # type: ignore[arg-type]
    assert quiz.choose(0, 0) and not quiz.choose(1, 1)
    assert "not saved" in shown_error(quiz.questions[1].note)
    assert quiz.score_line == "1 of 2 right on the first try"  # from what this kernel saw


def test_checkbutton_shows_its_result_and_says_it_was_not_saved(unwritable: ProgressStore) -> None:
    button = widgets.CheckButton(
        RecordedConnection(NAMESPACE),  # type: ignore[arg-type]
        "00-welcome",
        "namespace",
        progress_store=unwritable,
        strict=False,
    )
    assert button.passed
    assert "✔" in button.results.value
    said = shown_error(button.message)
    assert said.startswith("Step done: well done!\nNot saved: cannot use ")
    assert "is a file, not a folder" in said


def test_a_hint_is_shown_where_it_cannot_be_saved(unwritable: ProgressStore) -> None:
    button = widgets.CheckButton(
        RecordedConnection(),  # type: ignore[arg-type]
        "00-welcome",
        "namespace",
        progress_store=unwritable,
        strict=False,
    )
    shown = button.hint()
    assert shown.tier == 1
    assert shown.text[:20] in button.hint_area.value.replace("&#x27;", "'")
    assert "This hint is not saved" in shown_error(button.message)


# -- an OVHcloud API that does not answer --------------------------------------------------


def test_costmeter_with_a_dead_emulator(dead_ovh: ovh.Client) -> None:
    meter = widgets.CostMeter(dead_ovh, PRICES, real=False)
    said = shown_error(meter.message)
    assert said.startswith("cannot reach the OVHcloud API")
    assert "`workshop cloud up`" in said
    meter.refresh_button.click()
    assert "cannot reach the OVHcloud API" in shown_error(meter.message)


def test_clusterwizard_with_a_dead_emulator(dead_ovh: ovh.Client) -> None:
    wizard = widgets.ClusterWizard(dead_ovh)
    assert shown_error(wizard.message).startswith("cannot reach the OVHcloud API")
    assert wizard.button.disabled


# -- the rest ------------------------------------------------------------------------------


class FailingOperator:
    """An operator whose start fails as the workshop's do: with a WorkshopError."""

    name, namespace, running = "kvs-operator", "lab-11", False

    def __init__(self) -> None:
        self.journal = Journal()

    def start(self) -> None:
        raise ClusterError("cannot reach the cluster at https://127.0.0.1:1", hint="start it")

    def stop(self) -> None:
        raise AssertionError("never started")


def test_reconcileview_whose_operator_cannot_start() -> None:
    view = widgets.ReconcileView(FailingOperator())
    view.start_button.click()
    assert "could not start: cannot reach the cluster" in shown_error(view.message)
    assert not view.running


def test_imageview_of_no_image_shows_why(tmp_path: Path) -> None:
    view = widgets.ImageView(tmp_path, reference="hello-web:1.0")
    assert f"{tmp_path} is not an OCI image layout" in shown_error(view.message)
    assert view.layers == []


def test_a_workshop_error_raised_in_a_notebook_cell_shows_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        ran = shell.run_cell(  # type: ignore[no-untyped-call]
            f"from workshop.widgets import ImageView\nImageView({str(tmp_path)!r}).summary"
        )
    finally:
        InteractiveShell.clear_instance()
    shown = capsys.readouterr()
    assert isinstance(ran.error_in_exec, WorkshopError)
    assert "Traceback" not in shown.out + shown.err
    assert f"ImageError:\x1b[0m {tmp_path} is not an OCI image layout" in shown.out


COVERED = {
    "ApplyBox",
    "BreakIt",
    "CheckButton",
    "ClassBoard",
    "CleanupButton",
    "ClusterView",
    "ClusterWizard",
    "CostMeter",
    "ImageView",
    "LogView",
    "Predict",
    "Quiz",
    "ReconcileView",
    "ReleasePanel",
    "ResourceTable",
    "ScaleSlider",
}
NO_IO = {"PlanView": "renders a Terraform plan it is given; workshop.tools.terraform makes it"}


def test_every_widget_has_its_error_path_here() -> None:
    exported = {
        name
        for name in widgets.__all__
        if inspect.isclass(getattr(widgets, name)) and issubclass(getattr(widgets, name), Widget)
    }
    assert exported == COVERED | set(NO_IO)


def test_a_workshop_error_in_a_notebook_cell_is_its_sentence() -> None:
    error = WorkshopError("the sandbox is not running", hint="`workshop sandbox up`")
    assert error._render_traceback_() == [
        "\x1b[31mWorkshopError:\x1b[0m the sandbox is not running\n  -> `workshop sandbox up`"
    ]
