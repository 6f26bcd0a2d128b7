"""The daemonless builder, instruction by instruction (pure files, no registry, no cluster)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from workshop.containers import base, buildah, builder, oci, store
from workshop.containers.builder import BuildError
from workshop.sandbox.addons import pages
from workshop.sandbox.addons.catalogue import parse
from workshop.sandbox.addons.registry import extract, to_image
from workshop.widgets import ImageView


def build(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None) -> oci.Image:
    context = tmp_path / "context"
    context.mkdir(exist_ok=True)
    for name, text in (files or {}).items():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(text)
    (context / "Dockerfile").write_text(dockerfile)
    return builder.build(context, "test:1", output=tmp_path / "out").image


def names(image: oci.Image, layer: int = -1) -> dict[str, tarfile.TarInfo]:
    return {entry.name: entry for entry in image.files(image.layers[layer])}


def test_from_scratch_copy_and_every_setting(tmp_path: Path) -> None:
    image = build(
        tmp_path,
        """
        FROM scratch
        ARG VERSION=1.2
        ENV APP_HOME=/opt/app MODE="a b"
        ENV OLD style value
        WORKDIR $APP_HOME
        COPY --chmod=755 run.sh ./bin/
        LABEL version=${VERSION} maintainer="me"
        EXPOSE 8080 53/udp
        USER 1000:1000
        VOLUME /data
        STOPSIGNAL SIGINT
        ENTRYPOINT ["./bin/run.sh"]
        CMD --serve
        """.replace("\n        ", "\n"),
        {"run.sh": "#!/bin/sh\n"},
    )
    settings = image.settings
    assert settings["Env"] == ["APP_HOME=/opt/app", "MODE=a b", "OLD=style value"]
    assert settings["WorkingDir"] == "/opt/app"
    assert settings["Labels"] == {"version": "1.2", "maintainer": "me"}
    assert settings["ExposedPorts"] == {"8080/tcp": {}, "53/udp": {}}
    assert settings["User"] == "1000:1000"
    assert settings["Volumes"] == {"/data": {}}
    assert settings["StopSignal"] == "SIGINT"
    assert settings["Entrypoint"] == ["./bin/run.sh"]
    assert settings["Cmd"] == ["/bin/sh", "-c", "--serve"]
    assert len(image.layers) == 1  # scratch has none; the COPY made this one
    entries = names(image)
    assert entries["opt/app/bin/run.sh"].mode == 0o755
    assert entries["opt/app/bin"].isdir()
    history = image.config["history"]
    assert [h.get("empty_layer", False) for h in history].count(False) == 1
    assert image.config["rootfs"]["diff_ids"] == [image.layers[0].diff_id]


def test_the_base_image_has_users_and_busybox_when_debian_ships_it(tmp_path: Path) -> None:
    image = build(
        tmp_path, "FROM workshop/base\nCOPY --chown=app:app a.txt /home/app/\n", {"a.txt": "x"}
    )
    first = names(image, 0)
    assert "etc/passwd" in first and "tmp" in first
    assert first["tmp"].mode == 0o1777
    assert names(image)["home/app/a.txt"].uid == 1000
    if base.find_busybox() is not None:
        assert first["bin/sh"].issym() and first["bin/sh"].linkname == "busybox"
        assert image.settings["Cmd"] == ["sh"]


def test_copy_follows_docker_rules_for_destinations(tmp_path: Path) -> None:
    files = {"a.txt": "a", "b.txt": "b", "dir/c.txt": "c", "dir/sub/d.txt": "d", "skip.log": "x"}
    image = build(
        tmp_path,
        "FROM scratch\nWORKDIR /w\nCOPY a.txt renamed.txt\nCOPY *.txt multi/\n"
        "COPY dir /tree\nCOPY a.txt .\n",
        files,
    )
    layers = [set(names(image, n)) for n in range(len(image.layers))]
    assert "w/renamed.txt" in layers[0]  # one file, no trailing slash: that file name
    assert {"w/multi/a.txt", "w/multi/b.txt"} <= layers[1]  # several: into the folder
    assert {"tree/c.txt", "tree/sub/d.txt"} <= layers[2]  # a folder: its contents
    assert "w/a.txt" in layers[3]  # "." is the working folder


def test_dockerignore_and_add_of_a_local_archive(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"inside"
        info = tarfile.TarInfo("pkg/file.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (context / "pkg.tar.gz").write_bytes(buffer.getvalue())
    (context / ".dockerignore").write_text("*.log\n")
    image = build(
        tmp_path,
        "FROM scratch\nADD pkg.tar.gz /opt/\nCOPY *.txt /t/\n",
        {"keep.txt": "k", "debug.log": "no"},
    )
    assert "opt/pkg/file.txt" in names(image, 0)
    assert set(names(image, 1)) == {"t", "t/keep.txt"}


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        ("FROM debian:12\n", "cannot pull debian:12"),
        ("FROM scratch\nCOPY --from=build /a /b\n", "COPY --from needs a multi-stage build"),
        ("FROM scratch\nCOPY ../etc/passwd /\n", "outside the build context"),
        ("FROM scratch\nCOPY nothing.txt /\n", "'nothing.txt' is not in the build context"),
        ("FROM scratch\nADD https://example.org/x /\n", "ADD from a URL needs the network"),
        ("FROM scratch\nEXPOSE http\n", "'http' is not a port"),
        ("FROM scratch\nCMD [sh]\n", "not a JSON list of strings"),
        ("FROM scratch\nCOPY --chown=nobody a /\n", "no user 'nobody' in the image"),
        ("COPY a /\n", "a Dockerfile starts with FROM"),
        ("FROM scratch\nFROBNICATE x\n", "FROBNICATE is not a Dockerfile instruction"),
    ],
)
def test_what_it_cannot_build_it_says_which_line_and_why(
    tmp_path: Path, dockerfile: str, expected: str
) -> None:
    with pytest.raises(BuildError) as caught:
        build(tmp_path, dockerfile, {"a": "x"})
    assert expected in str(caught.value)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_image_names_are_checked() -> None:
    assert store.split("hello-web") == ("hello-web", "latest")
    assert store.split("team/app:1.0-rc1") == ("team/app", "1.0-rc1")
    for bad in ("Hello", "app:", "app:-x", "/app"):
        with pytest.raises(oci.ImageError):
            store.split(bad)


def test_a_pulled_image_becomes_what_its_container_does(tmp_path: Path) -> None:
    image = build(
        tmp_path,
        "FROM scratch\nWORKDIR /site\nCOPY index.html .\nEXPOSE 8080\n"
        'CMD ["httpd", "-f", "-p", "8080", "-h", "/site"]\n',
        {"index.html": "<h1>hi</h1>"},
    )
    rootfs = tmp_path / "rootfs"
    for layer in image.layers:
        extract(image.blob(layer.descriptor.digest), rootfs)
    ref = parse("127.0.0.1:5000/site:1")
    simulated = to_image(ref, image.config, image.manifest["layers"], rootfs)
    assert (simulated.ports, simulated.app, simulated.server) == ((8080,), "files", ("httpd",))
    assert simulated.cmd == ("httpd", "-f", "-p", "8080", "-h", "/site")
    assert simulated.size_mb == max(image.layers[0].descriptor.size / 1e6, 0.001)
    site = pages.Site("files", "pod", "ns", "10.0.0.1", "node", data=rootfs / "site")
    page = pages.respond(site, pages.Request("GET", "/"))
    assert (page.status, page.body) == (200, b"<h1>hi</h1>")
    assert pages.respond(site, pages.Request("GET", "/missing")).status == 404
    assert pages.respond(site, pages.Request("GET", "/../../etc/passwd")).status == 404
    tool = to_image(ref, {"config": {"Cmd": ["sh", "-c", "echo hi"]}}, [], rootfs)
    assert (tool.ports, tool.app) == ((), None)


def test_extract_keeps_files_inside_and_applies_whiteouts(tmp_path: Path) -> None:
    def layer(entries: dict[str, bytes | None]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in entries.items():
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    archive.addfile(info)
                else:
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    rootfs = tmp_path / "rootfs"
    extract(layer({"a": None, "a/old.txt": b"1", "../escape.txt": b"x"}), rootfs)
    extract(layer({"a/.wh.old.txt": b"", "a/new.txt": b"2"}), rootfs)
    assert sorted(p.name for p in (rootfs / "a").iterdir()) == ["new.txt"]
    assert not (tmp_path / "escape.txt").exists()


def test_image_view_shows_layers_config_and_manifest(tmp_path: Path) -> None:
    image = build(
        tmp_path,
        'FROM scratch\nCOPY a /a\nENV K=v\nEXPOSE 80\nENTRYPOINT ["/a"]\n',
        {"a": "x"},
    )
    view = ImageView(image.layout, reference="127.0.0.1:5000/test:1")
    assert view.problems == []
    assert [layer["instruction"] for layer in view.layers] == ["COPY a /a"]
    assert view.layers[0]["digest"] == image.layers[0].descriptor.digest
    assert view.settings["entrypoint"] == ["/a"] and view.settings["ports"] == ["80/tcp"]
    assert view.settings["env"] == ["K=v"]
    assert "digests verify" in view.summary and image.digest in view.summary
    assert "crane manifest 127.0.0.1:5000/test:1" in view.command.command
    manifest_tab = view.box.children[1].children[2].value
    assert json.loads(json.dumps(image.manifest))["layers"][0]["digest"] in manifest_tab


@pytest.mark.parametrize(
    ("dockerfile", "where"),
    [
        ("FROM workshop/base\nCOPY a /\nRUN adduser web\n", "line 3: RUN adduser web"),
        ("FROM workshop/base\nHEALTHCHECK CMD true\n", "line 2: HEALTHCHECK CMD true"),
        ("FROM scratch AS one\nFROM scratch\n", "line 2: FROM scratch (a second FROM)"),
    ],
)
def test_without_buildah_a_run_step_says_in_one_sentence_that_the_image_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dockerfile: str, where: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no buildah on PATH
    with pytest.raises(BuildError) as caught:
        build(tmp_path, dockerfile, {"a": "x"})
    said = str(caught.value)
    assert said.startswith(f"Dockerfile, {where}")
    assert "needs buildah to build, but buildah is not installed here" in said
    assert "apt-get install buildah" in said
    assert "\n" not in said and said.count(". ") == 0 and said.endswith(".")  # one sentence
    assert not (tmp_path / "out").exists()


def test_buildah_steps_get_the_layers_their_history_entries_made() -> None:
    instructions = builder.parse("FROM workshop/base\nWORKDIR /app\nRUN id > x\nUSER app\n")
    made = ["base files", "WORKDIR", "RUN", "USER"]
    empty = {"WORKDIR", "USER"}
    config = {
        "history": [
            {"created_by": m, **({"empty_layer": True} if m in empty else {})} for m in made
        ]
    }
    layers = tuple(
        oci.Layer(oci.Descriptor(oci.LAYER, f"sha256:{n}", 1), f"sha256:{n}") for n in "ab"
    )
    image = oci.Image(Path(), oci.Descriptor(oci.MANIFEST, "sha256:m", 1), {}, config, layers)
    steps = builder._buildah_steps(image, instructions)
    assert [(s.line, s.layer) for s in steps] == [(1, None), (2, None), (3, "sha256:b"), (4, None)]


def test_a_failing_run_is_one_line_with_what_its_command_said() -> None:
    said = (
        "STEP 2/2: RUN make\n/bin/sh: make: not found\nsubprocess exited with status 127\n"
        'Error: building at STEP "RUN make": exit status 127\n'
    )
    assert buildah._last_error(said, "bud") == (
        'building at STEP "RUN make": exit status 127 (/bin/sh: make: not found)'
    )
