"""The image check: a built image's config and files, read from the workshop's image store
(pure files: the offline builder makes the images, no cluster)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from workshop import course
from workshop.containers import builder, store
from workshop.course import RecordedCluster, run_check, schema

CHECK = TypeAdapter(schema.Check)
DOCKERFILE = """\
FROM workshop/base
LABEL org.opencontainers.image.version="1.1"
WORKDIR /app
COPY build.txt .
EXPOSE 8080
USER {user}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def built(tmp_path: Path, user: str = "1001") -> None:
    context = tmp_path / "context"
    context.mkdir(exist_ok=True)
    (context / "build.txt").write_text("uid=0(root)\n")
    (context / "Dockerfile").write_text(DOCKERFILE.format(user=user))
    builder.build(context, "hello-web:1.1", output=store.local_path("hello-web:1.1"))


def run(**spec: Any) -> tuple[bool, str, str | None]:
    check = CHECK.validate_python({"kind": "image", "image": "hello-web:1.1", **spec})
    result = run_check(RecordedCluster([]), check, namespace="lab-01")
    return result.passed, result.message, result.hint


FIELDS = [
    {"path": "config.ExposedPorts[8080/tcp]", "present": True},
    {"path": "config.User", "matches": r"^(?!(root|0)(:|$))\S"},
    {"path": "config.Labels[org.opencontainers.image.version]", "equals": "1.1"},
]


def test_an_image_not_built_yet_fails_and_says_how_to_build_it(home: Path) -> None:
    passed, message, hint = run(fields=FIELDS)
    assert not passed and message == "no image hello-web:1.1 built on this machine yet"
    assert hint is not None and "workshop image build" in hint


def test_config_fields_pass_and_a_root_user_fails(home: Path, tmp_path: Path) -> None:
    built(tmp_path)
    passed, message, _ = run(fields=FIELDS, files=[{"path": "app/build.txt"}])
    assert passed, message
    built(tmp_path, user="root")
    passed, message, hint = run(fields=FIELDS)
    assert not passed and "config.User is 'root'" in message
    assert hint is not None and "workshop image show hello-web:1.1" in hint


def ran() -> str:
    """Lab 01's ``made_by``: the file was written by a command (RUN), not copied."""
    step = course.find_lab("01-containers").step("dockerfile")
    check = next(c for c in step.checks if isinstance(c, schema.ImageCheck))
    made_by = check.files[0].made_by
    assert made_by is not None
    return made_by


@pytest.mark.parametrize(
    ("history", "by_a_command"),
    [
        ("|1 GREETING=hi /bin/sh -c id > /app/build.txt", True),  # buildah
        ("/bin/sh -c id > /app/build.txt", True),  # buildah, Docker's classic builder
        ("RUN /bin/sh -c id > /app/build.txt # buildkit", True),  # Docker BuildKit
        ("/bin/sh -c #(nop) COPY file:04e6b038 in . ", False),  # buildah
        ("COPY index.html . # buildkit", False),  # Docker BuildKit
        ("COPY build.txt .", False),  # the workshop's builder
        ("ADD pkg.tar.gz /opt/", False),
    ],
)
def test_lab_01_tells_a_file_written_by_a_command_from_a_copied_one(
    history: str, by_a_command: bool
) -> None:
    assert bool(re.search(ran(), history)) is by_a_command


def test_a_file_must_be_there_and_made_by_a_command_when_asked(home: Path, tmp_path: Path) -> None:
    built(tmp_path)
    passed, message, _ = run(files=[{"path": "/app/missing.txt"}])
    assert not passed and "no layer holds /app/missing.txt" in message
    passed, message, _ = run(files=[{"path": "app/build.txt", "made_by": ran()}])
    assert not passed and "/app/build.txt was added by `COPY build.txt .`" in message


def test_made_by_must_be_a_regular_expression() -> None:
    with pytest.raises(ValidationError, match="bad regular expression"):
        CHECK.validate_python(
            {"kind": "image", "image": "a:1", "files": [{"path": "x", "made_by": "("}]}
        )
