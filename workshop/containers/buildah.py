"""Builds that run commands (``RUN``): Debian's ``buildah``, without a daemon.

`buildah <https://github.com/containers/buildah>`_ builds a Dockerfile with no engine
running: ``--isolation chroot`` runs each ``RUN`` in a chroot of the image's files,
``--storage-driver vfs`` keeps each layer as a plain folder (no overlay mount needed). It
works as root, or rootless where the kernel lets users create user namespaces and the
user has a range of ids (``/etc/subuid``, ``/etc/subgid``); an unprivileged container
(a Binder) allows neither.

Everything buildah writes stays in ``$WORKSHOP_HOME/buildah/`` (never the host's
``/var/lib/containers``): ``storage/`` holds its layers (the build cache, as Docker's),
``run/`` its locks, and ``tmp/`` its scratch files, removed after every build;
``clean()`` removes it all. Base images come from files, never from the network:
``workshop/base`` is written by the offline builder and loaded (``load_base``) first.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workshop.containers import base, oci
from workshop.containers.oci import ImageError
from workshop.home import workshop_home

PROBE_TIMEOUT = 20.0
ROOTLESS_IDS = 65536  # user ids a rootless build needs: 0 to 65534 (nobody) and more
BUILD_TIMEOUT = 900.0
INSTALL = "`make setup` installs it as root (`apt-get install buildah` on Debian or Ubuntu)"
ELSEWHERE = "build it where buildah or Docker runs, or make the files outside and COPY them in"


class BuildahError(ImageError):
    """buildah could not build or export the image; says which step and why."""


@dataclass(frozen=True)
class Buildah:
    """A buildah that can run here, and the folder that holds all it writes."""

    binary: Path
    version: str
    home: Path

    def command(self, *args: str) -> list[str]:
        storage = ("--root", str(self.home / "storage"), "--runroot", str(self.home / "run"))
        return [str(self.binary), *storage, "--storage-driver", "vfs", *args]

    def run(self, *args: str, timeout: float = BUILD_TIMEOUT) -> str:
        """Run buildah on the workshop's storage; its output, or ``BuildahError``."""
        scratch = self.home / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TMPDIR": str(scratch)}  # buildah's temporary files
        try:
            done = subprocess.run(
                self.command(*args),
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise BuildahError(f"`buildah {args[0]}` did not finish within {timeout:.0f}s") from e
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if done.returncode != 0:
            raise BuildahError(_last_error(done.stderr or done.stdout, args[0]))
        return done.stdout


def _last_error(said: str, verb: str) -> str:
    """buildah's own words, one line: its last ``Error:`` line (the cause), and before it
    what a failing RUN command printed last."""
    lines = [line.strip() for line in said.strip().splitlines() if line.strip()]
    errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error:")]
    if not errors:
        return lines[-1] if lines else f"buildah {verb} failed"
    printed = [
        line
        for line in lines
        if not line.startswith(("Error:", "subprocess exited", "STEP ", "time="))
    ]
    return f"{errors[-1]} ({printed[-1]})" if printed else errors[-1]


def default_home() -> Path:
    return workshop_home() / "buildah"


def usable(binary: Path) -> str | None:
    """Why this buildah cannot build here, or None when it can."""
    if os.geteuid() == 0:
        return None
    try:  # rootless: buildah re-enters a user namespace of its own for every command
        done = subprocess.run(
            [str(binary), "unshare", "cat", "/proc/self/uid_map"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "buildah does not start here"
    if done.returncode != 0:
        return "this machine lets neither root nor user namespaces run buildah"
    # each line: first id inside, first id outside, how many; the base's files belong to
    # users up to 65534 (nobody), so one id (no /etc/subuid range) is not enough
    mapped = sum(
        int(line.split()[2]) for line in done.stdout.splitlines() if len(line.split()) == 3
    )
    if mapped < ROOTLESS_IDS:
        return (
            "buildah has no range of user ids here (a line for you in /etc/subuid and /etc/subgid)"
        )
    return None


def find(home: Path | None = None) -> Buildah | None:
    """buildah when it is installed and can build here, else None."""
    found = shutil.which("buildah")
    if found is None or usable(Path(found)) is not None:
        return None
    return Buildah(Path(found), _version(Path(found)), home or default_home())


def why_not() -> str:
    """One clause: why there is no usable buildah here."""
    found = shutil.which("buildah")
    if found is None:
        return "buildah is not installed here"
    return usable(Path(found)) or "buildah can build here"


def _version(binary: Path) -> str:
    try:
        done = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=PROBE_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired):
        return "buildah"
    words = done.stdout.split()  # "buildah version 1.28.2 (image-spec ...)"
    return f"buildah {words[2]}" if len(words) > 2 else "buildah"


def load_base(tool: Buildah, layout: Path) -> None:
    """Load the workshop's base image (an OCI layout) into buildah's storage by its name.

    As a ``docker-archive`` (the tar ``docker save`` writes): its manifest names the image,
    where an ``oci:`` layout would be named after its folder's path."""
    image = oci.read(layout)
    names = [f"localhost/{base.NAME}:{tag}" for tag in (base.TAG, "latest")]
    tool.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="base-", dir=tool.home) as scratch:
        archive = Path(scratch, "base.tar")
        with tarfile.open(archive, "w") as tar:
            config = image.manifest["config"]["digest"].partition(":")[2] + ".json"
            _add(tar, config, image.blob(image.manifest["config"]["digest"]))
            layers = []
            for layer in image.layers:
                layers.append(layer.descriptor.digest.partition(":")[2] + ".tar.gz")
                _add(tar, layers[-1], image.blob(layer.descriptor.digest))
            manifest = [{"Config": config, "RepoTags": names, "Layers": layers}]
            _add(tar, "manifest.json", json.dumps(manifest).encode())
        tool.run("pull", "--quiet", f"docker-archive:{archive}")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def build(
    tool: Buildah,
    context: Path,
    tag: str,
    *,
    output: Path,
    dockerfile: Path,
    build_args: Mapping[str, str],
) -> oci.Image:
    """``buildah bud`` one layer per instruction (as Docker does), then export the image
    as an OCI layout at ``output``."""
    args = [x for key, value in build_args.items() for x in ("--build-arg", f"{key}={value}")]
    tool.run(
        "bud",
        "--isolation",
        "chroot",
        "--pull-never",  # no internet: base images come from the storage only
        "--layers",
        "--format",
        "oci",
        "--file",
        str(dockerfile),
        "--tag",
        tag,
        *args,
        str(context),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=output.parent))
    try:
        shutil.rmtree(staging)
        tool.run("push", "--quiet", tag, f"oci:{staging}:{tag}")
        if output.exists():
            shutil.rmtree(output)
        staging.replace(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return oci.read(output)


def clean(home: Path | None = None) -> None:
    """Remove all buildah wrote for the workshop: its layers, cache, locks, scratch."""
    folder = home or default_home()
    tool = find(folder)
    if tool is not None and (folder / "storage").exists():
        with contextlib.suppress(BuildahError):  # buildah removes its own layers first
            tool.run("rmi", "--all", "--force")
    shutil.rmtree(folder, ignore_errors=True)
