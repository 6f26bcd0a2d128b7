"""JupyterLab in headless Chromium.

- 04-hello-world: run its first cells and see the ClusterView draw the sandbox's nodes and
  the lab's pods (screenshots in tests/artifacts/, gitignored; CI keeps them as artifacts).
- every notebook whose Markdown shows a diagram (``![...](diagrams/NN-name.svg)``): open it,
  scroll to its first diagram and assert that the image loaded (offline, from the
  notebooks/ folder JupyterLab serves); a screenshot of each lands in the test's tmp dir.
  A notebook made here with a diagram of its own proves the check itself.
- a Predict widget: its choices render as buttons, and a click in the page reaches the
  kernel, which marks the answer and explains it.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make browser``), driven by
Playwright's Python package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK = "04-hello-world.ipynb"
DIAGRAM = re.compile(r"!\[[^\]]*\]\((diagrams/[^)\s]+\.svg)\)")
SELF_CHECK = "zz-browser-diagram.ipynb"  # made by the fixture: proves the diagram check
PREDICT = "zz-browser-predict.ipynb"  # made by the fixture: a Predict widget on a small lab


def first_diagram(notebook: Path) -> str | None:
    """The first diagram a notebook's Markdown shows (``diagrams/NN-name.svg``), if any."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            found = DIAGRAM.search("".join(cell["source"]))
            if found:
                return found.group(1)
    return None


# Every notebook with a diagram (that each lab has one is asserted elsewhere, with the
# notebooks' format), and the fixture's own.
WITH_DIAGRAMS = [
    *sorted(n.name for n in (ROOT / "notebooks").glob("*.ipynb") if first_diagram(n)),
    SELF_CHECK,
]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@dataclass
class Lab:
    url: str
    token: str
    kubeconfig: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_server(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it (apt-get)")
    from workshop.sandbox import Sandbox

    base = tmp_path_factory.mktemp("browser")
    home = base / "workshop-home"
    box = Sandbox(home, nodes=3, profile="instant")
    box.up()
    # A copy of the notebooks and their diagrams (JupyterLab saves what runs), beside the
    # real labs/, and the notebooks this test adds.
    shutil.copytree(
        ROOT / "notebooks",
        base / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
    )
    (base / "labs").symlink_to(ROOT / "labs")
    write_self_check(base / "notebooks")
    write_predict(base / "notebooks", base / "small-lab")
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "WORKSHOP_CONTEXT")}
    env.update(
        WORKSHOP_HOME=str(home),
        WORKSHOP_LABS=str(ROOT / "labs"),
        JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    # No "official Jupyter news?" pop-up over the screenshot.
    settings = base / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # Every cell rendered, not only those in view: a diagram further down is in the page.
    notebook_settings = base / "lab-settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "lab-settings")
    log = base / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={base / 'notebooks'}",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{url}/api/status?token={token}", server, log)
        yield Lab(url, token, box.kubeconfig)
    finally:
        stop(server)
        box.down()


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook's JSON, from (cell type, source) pairs."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source}
                | ({"execution_count": None, "outputs": []} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                    "name": "python3",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def write_self_check(folder: Path) -> None:
    """A notebook whose diagram sits below a screenful of text, as a lab's might."""
    (folder / "diagrams").mkdir(exist_ok=True)
    (folder / "diagrams" / "zz-browser.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 700 200" width="700" '
        'height="200" font-family="sans-serif"><title>Browser check</title>'
        '<rect x="10" y="10" width="680" height="180" fill="#e6f0ff" stroke="#0050d7"/>'
        '<text x="350" y="110" text-anchor="middle" font-size="28">Service to Pod</text></svg>'
    )
    filler = "\n\n".join(f"Paragraph {i}: text above the picture." for i in range(40))
    (folder / SELF_CHECK).write_text(
        notebook(
            ("markdown", f"# A diagram below the fold\n\n{filler}"),
            ("markdown", "![Service to Pod](diagrams/zz-browser.svg)"),
        )
    )


def write_predict(folder: Path, labs: Path) -> None:
    """A notebook asking the prediction of the unit tests' small lab."""
    from tests.unit.test_widgets_questions import write_lab

    lab = write_lab(labs)
    (folder / PREDICT).write_text(
        notebook(
            (
                "code",
                "from pathlib import Path\n"
                "from workshop import course, widgets\n"
                "from workshop.cluster import connect\n\n"
                "cluster = connect()\n"
                f"lab = course.load_lab(Path({str(lab.dir)!r}))\n"
                'widgets.Predict(cluster, lab, "make")',
            ),
        )
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    """End JupyterLab and its kernels (they share its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_hello_world_notebook_draws_the_cluster(jupyterlab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    kubectl = [
        str(Path(sys.executable).parent / "kubectl"),
        f"--kubeconfig={jupyterlab.kubeconfig}",
    ]
    nodes = json.loads(subprocess.check_output([*kubectl, "get", "nodes", "-o", "json"]))["items"]
    node_names = sorted(n["metadata"]["name"] for n in nodes)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK}?reset&token={jupyterlab.token}")
            cells = page.locator(".jp-NotebookPanel .jp-Cell")
            expect(cells.first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
            # Run the opening cells, as a learner would: connect, the ClusterView, step 1.
            cells.first.click()
            page.keyboard.press("Escape")
            for _ in range(6):
                page.keyboard.press("Shift+Enter")
                page.wait_for_timeout(300)
            first_output = cells.nth(1).locator(".jp-OutputArea-output")
            expect(first_output).to_contain_text("This notebook drives: sandbox", timeout=120_000)
            view = page.locator(".ws-cluster")
            expect(view.locator(".ws-node")).to_have_count(3, timeout=120_000)
            expect(view.locator(".ws-pod[data-state='ready']")).to_have_count(3, timeout=120_000)
            drawn = sorted(
                view.locator(".ws-node").evaluate_all("els => els.map(e => e.dataset.node)")
            )
            assert drawn == node_names
            assert view.locator(".ws-summary").inner_text().endswith("3 pods: 3 ready")
            expect(page.locator(".ws-command").first).to_contain_text(
                "kubectl get pods -o wide --watch -n lab-04"
            )
            view.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-04-hello-world.png"))
            view.screenshot(path=str(ARTIFACTS / "browser-04-clusterview.png"))
        finally:
            browser.close()


def open_notebook(page: Any, lab: Lab, name: str) -> Any:
    """Open one notebook alone (``reset``: no other tab restored) and wait for its kernel."""
    from playwright.sync_api import expect

    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
    return panel


@pytest.mark.parametrize("name", WITH_DIAGRAMS)
def test_a_notebooks_first_diagram_renders_offline(
    jupyterlab: Lab, name: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    source = ROOT / "notebooks" / name
    wanted = first_diagram(source) if source.exists() else "diagrams/zz-browser.svg"
    assert wanted is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            panel = open_notebook(page, jupyterlab, name)
            image = panel.locator(f".jp-RenderedMarkdown img[src*='{wanted}']").first
            expect(image).to_be_attached(timeout=60_000)
            image.scroll_into_view_if_needed()
            expect(image).to_be_visible()
            page.wait_for_function(
                "img => img.complete", arg=image.element_handle(), timeout=30_000
            )
            natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert natural[0] > 0 and natural[1] > 0, f"{wanted} did not load in {name}"
            box = image.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
            image.screenshot(path=str(tmp_path / f"{Path(name).stem}-diagram.png"))
            page.screenshot(path=str(tmp_path / f"{Path(name).stem}.png"))
        finally:
            browser.close()


def test_a_prediction_shows_its_choices_as_buttons_that_answer(jupyterlab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            panel = open_notebook(page, jupyterlab, PREDICT)
            panel.locator(".jp-Cell").first.click()
            page.keyboard.press("Escape")
            page.keyboard.press("Shift+Enter")
            card = panel.locator(".workshop-predict")
            expect(card).to_be_visible(timeout=120_000)
            expect(card.locator(".ws-question code")).to_have_text(
                "kubectl create configmap colour"
            )  # the question's Markdown, rendered
            buttons = card.locator(".ws-choice-button")
            expect(buttons).to_have_count(3)
            assert buttons.all_inner_texts() == ["A", "B", "C"]
            buttons.nth(1).click()  # the right one: a click in the page, answered by the kernel
            answer = card.locator(".ws-answer[data-correct='true']")
            expect(answer).to_contain_text("Right.", timeout=30_000)
            expect(answer).to_contain_text("Now run the next cell and see.")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            card.screenshot(path=str(ARTIFACTS / "browser-predict.png"))
        finally:
            browser.close()
