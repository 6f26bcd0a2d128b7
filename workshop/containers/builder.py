"""A daemonless image builder: a Dockerfile and its context in, an OCI image layout out.

The Dockerfile is parsed by ``dockerfile-parse`` (the parser atomic/OpenShift tools use).
Each instruction does what it does in ``docker build``, without running anything:

- ``FROM`` ``workshop/base`` (see ``base.py``) or ``scratch``;
- ``COPY``/``ADD`` add one layer each (``--chown``, ``--chmod``; ``ADD`` unpacks a local
  tar archive, as Docker does);
- ``ENV``, ``ARG``, ``WORKDIR``, ``LABEL``, ``EXPOSE``, ``USER``, ``CMD``, ``ENTRYPOINT``,
  ``VOLUME``, ``STOPSIGNAL`` set the image's config and add a line to its history.

The result has reproducible digests: the same Dockerfile and files give the same image.

``RUN`` (and ``HEALTHCHECK``, ``SHELL``, ``ONBUILD``, multi-stage builds) executes commands
inside the image being built: such a Dockerfile is handed to Debian's ``buildah`` (see
``buildah.py``) where it can run (as root, or rootless with user namespaces); elsewhere
(an unprivileged Binder) the build stops with one sentence saying the image needs buildah
and how to get it. ``BuildResult.builder`` says which one built the image.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
import shlex
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from workshop.containers import base, buildah, oci
from workshop.containers.oci import ImageError

CREATED = "1970-01-01T00:00:00Z"  # fixed, so that digests are reproducible
SUBSTITUTED = {"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER"}
SUBSTITUTED |= {"VOLUME", "WORKDIR"}
NEEDS_ENGINE = {"RUN", "HEALTHCHECK", "SHELL", "ONBUILD"}  # buildah runs these
OFFLINE = "the workshop's builder"
ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class BuildError(ImageError):
    """A Dockerfile the offline builder cannot build; says which line and why."""


@dataclass(frozen=True)
class Step:
    """One instruction as it ran: its line, its text, and the layer it made (if any)."""

    line: int
    text: str
    layer: str | None = None  # the digest of the layer it added


@dataclass(frozen=True)
class _Step:
    line: int
    text: str
    layer: int | None = None  # index of the layer it added


@dataclass
class BuildResult:
    image: oci.Image
    steps: list[Step] = field(default_factory=list)
    builder: str = OFFLINE  # or "buildah 1.28.2" for a Dockerfile that RUNs commands


@dataclass
class _State:
    settings: dict[str, Any]
    layers: list[tuple[bytes, str]]
    history: list[dict[str, Any]]
    env: dict[str, str]
    args: dict[str, str]
    users: dict[str, int]
    groups: dict[str, int]
    workdir: str = "/"


def parse(text: str) -> list[dict[str, Any]]:
    """The instructions of a Dockerfile, as ``dockerfile-parse`` reads them."""
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    structure: list[dict[str, Any]] = parser.structure
    return [s for s in structure if s["instruction"] != "COMMENT"]


def build(
    context: Path | str,
    tag: str,
    *,
    output: Path | str,
    dockerfile: Path | str | None = None,
    build_args: Mapping[str, str] | None = None,
) -> BuildResult:
    """Build ``context`` (its ``Dockerfile`` unless ``dockerfile`` names another) into an OCI
    layout at ``output``, named ``tag``. Raises ``BuildError`` naming the line at fault."""
    folder = Path(context)
    if not folder.is_dir():
        raise BuildError(f"the build context {folder} is not a folder")
    file = Path(dockerfile) if dockerfile else folder / "Dockerfile"
    try:
        text = file.read_text()
    except OSError as e:
        raise BuildError(
            f"no Dockerfile at {file}", hint="write one, or name it with --file"
        ) from e
    instructions = parse(text)
    if not instructions or instructions[0]["instruction"] not in ("FROM", "ARG"):
        raise BuildError(f"{file}: a Dockerfile starts with FROM", hint="e.g. FROM workshop/base")
    args = dict(build_args or {})
    running = _needs_buildah(instructions, file)
    if running is not None:
        return _build_with_buildah(
            folder, tag, instructions, output=Path(output), dockerfile=file, args=args, why=running
        )
    state: _State | None = None
    steps: list[_Step] = []
    for item in instructions:
        name, value, line = item["instruction"], item["value"], item["startline"] + 1
        shown = f"{name} {value}".strip()
        where = f"{file.name}, line {line}: {shown}"
        if name == "FROM":
            state = _start(_expand(value, {}, args), where)
            state.args = args
            steps.append(_Step(line, shown))
            continue
        if state is None:  # ARG before FROM
            if name == "ARG":
                key, _, default = value.partition("=")
                args.setdefault(key.strip(), default.strip())
                continue
            raise BuildError(f"{where}: a Dockerfile starts with FROM")
        handler = _HANDLERS.get(name)
        if handler is None:
            raise BuildError(
                f"{where}: {name} is not a Dockerfile instruction this builder knows",
                hint="supported: FROM, COPY, ADD, ENV, ARG, WORKDIR, LABEL, EXPOSE, USER, "
                "CMD, ENTRYPOINT, VOLUME, STOPSIGNAL",
            )
        if name in SUBSTITUTED:
            value = _expand(value, state.env, state.args)
        before = len(state.layers)
        handler(state, value, folder, where)
        layer = None
        if len(state.layers) > before:
            state.history.append({"created": CREATED, "created_by": shown})
            layer = len(state.layers) - 1
        else:
            state.history.append({"created": CREATED, "created_by": shown, "empty_layer": True})
        steps.append(_Step(line, shown, layer))
    assert state is not None
    image = _write(state, Path(output), tag)
    digests = [layer.descriptor.digest for layer in image.layers]
    return BuildResult(image, [_with_digest(step, digests) for step in steps])


def _needs_buildah(instructions: list[dict[str, Any]], file: Path) -> str | None:
    """Where the first instruction that runs a command is (``file, line N: RUN ...``), or
    None when the offline builder can build it all."""
    froms = 0
    for item in instructions:
        name, value = item["instruction"], item["value"]
        froms += name == "FROM"
        if name in NEEDS_ENGINE or froms > 1:
            shown = f"{name} {value}".strip()
            what = f"{name} runs a command inside the image" if froms < 2 else "a second FROM"
            return f"{file.name}, line {item['startline'] + 1}: {shown} ({what})"
    return None


def _build_with_buildah(
    context: Path,
    tag: str,
    instructions: list[dict[str, Any]],
    *,
    output: Path,
    dockerfile: Path,
    args: dict[str, str],
    why: str,
) -> BuildResult:
    tool = buildah.find()
    if tool is None:
        reason = buildah.why_not()
        remedy = buildah.INSTALL if "not installed" in reason else buildah.ELSEWHERE
        raise BuildError(f"{why}: this image needs buildah to build, but {reason}: {remedy}.")
    if _bases(instructions, dockerfile, args):  # workshop/base is files: write it for buildah
        with tempfile.TemporaryDirectory(prefix="base-", dir=_made(tool.home)) as scratch:
            reference = f"{base.NAME}:{base.TAG}"
            written = _write(_start(reference, reference), Path(scratch, "base"), reference)
            buildah.load_base(tool, written.layout)
    try:
        image = buildah.build(
            tool, context, tag, output=output, dockerfile=dockerfile, build_args=args
        )
    except buildah.BuildahError as e:
        raise BuildError(f"{dockerfile.name}: buildah says: {e.message}") from e
    return BuildResult(image, _buildah_steps(image, instructions), tool.version)


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bases(instructions: list[dict[str, Any]], dockerfile: Path, args: dict[str, str]) -> bool:
    """Whether a stage starts FROM workshop/base; ``BuildError`` for an image that would
    have to be pulled (there is no internet to pull it from)."""
    known = dict(args)
    stages: set[str] = set()  # names given with AS: later stages may start FROM them
    froms = 0
    wanted = False
    for item in instructions:
        name, value = item["instruction"], item["value"]
        if name == "ARG" and not froms:  # an ARG before the first FROM names the base
            key, _, default = value.partition("=")
            known.setdefault(key.strip(), default.strip().strip('"'))
        if name != "FROM":
            continue
        froms += 1
        words = _expand(value, {}, known).split()
        image, _, version = words[0].partition(":")
        if image in (base.NAME, f"docker.io/{base.NAME}") and version in ("", "latest", base.TAG):
            wanted = True
        elif image != "scratch" and words[0] not in stages:
            raise BuildError(
                f"{dockerfile.name}, line {item['startline'] + 1}: FROM {value}: there is no "
                f"internet to pull {words[0]} from, so start FROM {base.NAME} (busybox: sh, "
                "httpd...) or FROM scratch."
            )
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])
    return wanted


def _buildah_steps(image: oci.Image, instructions: list[dict[str, Any]]) -> list[Step]:
    """One step per instruction, with the digest of the layer it made. buildah writes one
    history entry per instruction after the last FROM, after the base image's own."""
    last = max(i for i, item in enumerate(instructions) if item["instruction"] == "FROM")
    history = image.config.get("history", [])
    count = len(instructions) - last - 1
    made = history[len(history) - count :] if 0 < count <= len(history) else []
    layered = sum(1 for entry in made if not entry.get("empty_layer"))
    new_layers = image.layers[len(image.layers) - layered :] if layered else ()
    digests = iter(layer.descriptor.digest for layer in new_layers)
    steps = []
    for index, item in enumerate(instructions):
        entry = made[index - last - 1] if made and index > last else {"empty_layer": True}
        layer = None if entry.get("empty_layer") else next(digests, None)
        steps.append(
            Step(item["startline"] + 1, f"{item['instruction']} {item['value']}".strip(), layer)
        )
    return steps


def _with_digest(step: _Step, digests: list[str]) -> Step:
    return Step(step.line, step.text, digests[step.layer] if step.layer is not None else None)


# -- FROM ------------------------------------------------------------------------------------


def _start(value: str, where: str) -> _State:
    reference = value.split()[0]
    words = value.split()
    if "--platform" in value or (len(words) > 1 and words[1].upper() != "AS"):
        raise BuildError(f"{where}: only `FROM image` (optionally `AS name`) is supported")
    name, _, tag = reference.partition(":")
    if name == "scratch":
        return _State({}, [], [], {}, {}, {"root": 0}, {"root": 0})
    if name in (base.NAME, f"docker.io/{base.NAME}") and tag in ("", "latest", base.TAG):
        made = base.workshop_base()
        history = [{"created": CREATED, "created_by": created} for _, created in made.layers]
        env = dict(e.split("=", 1) for e in made.settings.get("Env", []))
        return _State(
            json.loads(json.dumps(made.settings)),
            list(made.layers),
            history,
            env,
            {},
            dict(made.users),
            dict(made.groups),
        )
    raise BuildError(
        f"{where}: the offline builder cannot pull {reference}",
        hint=f"start FROM {base.NAME} (busybox: sh, httpd...) or FROM scratch; with Docker "
        "or Podman running, any image works",
    )


# -- instructions that set the config ------------------------------------------------------


def _pairs(value: str, where: str) -> list[tuple[str, str]]:
    """``K=V K2="v 2"``, or the old one-pair form ``K v w``."""
    try:
        words = shlex.split(value)
    except ValueError as e:
        raise BuildError(f"{where}: {e}") from e
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    pairs = []
    for word in words:
        key, equals, val = word.partition("=")
        if not equals or not key:
            raise BuildError(f"{where}: expected KEY=VALUE, got {word!r}")
        pairs.append((key, val))
    return pairs


def _env(state: _State, value: str, _context: Path, where: str) -> None:
    for key, val in _pairs(value, where):
        state.env[key] = val
    state.settings["Env"] = [f"{k}={v}" for k, v in state.env.items()]


def _arg(state: _State, value: str, _context: Path, _where: str) -> None:
    key, _, default = value.partition("=")
    state.args.setdefault(key.strip(), default.strip().strip('"'))


def _label(state: _State, value: str, _context: Path, where: str) -> None:
    state.settings.setdefault("Labels", {}).update(dict(_pairs(value, where)))


def _maintainer(state: _State, value: str, _context: Path, _where: str) -> None:
    state.settings.setdefault("Labels", {})["maintainer"] = value


def _expose(state: _State, value: str, _context: Path, where: str) -> None:
    for word in value.split():
        port, _, protocol = word.partition("/")
        if not port.isdigit() or not 0 < int(port) < 65536 or protocol not in ("", "tcp", "udp"):
            raise BuildError(f"{where}: {word!r} is not a port (e.g. 8080 or 8080/tcp)")
        state.settings.setdefault("ExposedPorts", {})[f"{port}/{protocol or 'tcp'}"] = {}


def _user(state: _State, value: str, _context: Path, where: str) -> None:
    user = value.strip()
    if not user:
        raise BuildError(f"{where}: USER needs a name or a number")
    state.settings["User"] = user


def _workdir(state: _State, value: str, _context: Path, _where: str) -> None:
    state.workdir = str(PurePosixPath(state.workdir, value.strip()))
    state.settings["WorkingDir"] = state.workdir


def _command(value: str, where: str) -> list[str]:
    """The JSON (exec) form as is; the shell form runs through ``/bin/sh -c``."""
    text = value.strip()
    if text.startswith("["):
        try:
            words = json.loads(text)
        except ValueError as e:
            raise BuildError(
                f"{where}: not a JSON list of strings ({e})",
                hint='write ["httpd", "-f"] with double quotes',
            ) from e
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise BuildError(f"{where}: the exec form is a JSON list of strings")
        return words
    return ["/bin/sh", "-c", text]


def _cmd(state: _State, value: str, _context: Path, where: str) -> None:
    state.settings["Cmd"] = _command(value, where)


def _entrypoint(state: _State, value: str, _context: Path, where: str) -> None:
    state.settings["Entrypoint"] = _command(value, where)
    state.settings.pop("Cmd", None)  # as in Docker: a new ENTRYPOINT drops the base's CMD


def _volume(state: _State, value: str, _context: Path, where: str) -> None:
    paths = _command(value, where) if value.strip().startswith("[") else value.split()
    for path in paths:
        state.settings.setdefault("Volumes", {})[path] = {}


def _stopsignal(state: _State, value: str, _context: Path, _where: str) -> None:
    state.settings["StopSignal"] = value.strip()


# -- COPY and ADD --------------------------------------------------------------------------


def _copy(state: _State, value: str, context: Path, where: str) -> None:
    _add_files(state, value, context, where, unpack=False)


def _add(state: _State, value: str, context: Path, where: str) -> None:
    _add_files(state, value, context, where, unpack=True)


def _add_files(state: _State, value: str, context: Path, where: str, *, unpack: bool) -> None:
    text = value.strip()
    flags: dict[str, str] = {}
    while text.startswith("--"):
        flag, _, text = text.partition(" ")
        key, _, val = flag[2:].partition("=")
        flags[key] = val
        text = text.strip()
    if "from" in flags:
        raise BuildError(f"{where}: COPY --from needs a multi-stage build, which needs an engine")
    unknown = set(flags) - {"chown", "chmod"}
    if unknown:
        raise BuildError(f"{where}: unsupported flag --{sorted(unknown)[0]}")
    words = _command(text, where) if text.startswith("[") else shlex.split(text)
    if len(words) < 2:
        raise BuildError(f"{where}: needs a source and a destination, e.g. COPY app.py /app/")
    sources, dest = words[:-1], words[-1]
    if any(re.match(r"^[a-z]+://", s) for s in sources):
        raise BuildError(
            f"{where}: ADD from a URL needs the network", hint="download the file, then COPY it"
        )
    owner = _owner(state, flags.get("chown"), where)
    mode = int(flags["chmod"], 8) if flags.get("chmod") else None
    target = PurePosixPath(state.workdir, dest)
    files = _resolve(context, sources, where)
    as_folder = dest.endswith(("/", "/.")) or dest in (".", "..")
    into_folder = as_folder or len(files) > 1 or any(p.is_dir() for p in files)
    items: dict[str, tuple[tarfile.TarInfo, bytes | None]] = {}

    def add_dir(path: PurePosixPath) -> None:
        for parent in [*reversed(path.parents), path]:
            name = str(parent).lstrip("/")
            if name and name not in items:
                info = base.entry(name, kind=tarfile.DIRTYPE, mode=0o755)
                if parent == target or target in parent.parents:
                    info.uid, info.gid = owner
                items[name] = (info, None)

    def add_file(source: Path, dest_path: PurePosixPath) -> None:
        add_dir(dest_path.parent)
        if unpack and source.name.endswith(ARCHIVES):
            _unpack(source, dest_path.parent, items, owner)
            return
        data = source.read_bytes()
        name = str(dest_path).lstrip("/")
        file_mode = (
            mode if mode is not None else (0o755 if source.stat().st_mode & 0o111 else 0o644)
        )
        info = base.entry(name, mode=file_mode, size=len(data))
        info.uid, info.gid = owner
        items[name] = (info, data)

    for source in files:
        if source.is_dir():
            add_dir(target)
            for inner in sorted(source.rglob("*")):
                relative = PurePosixPath(inner.relative_to(source).as_posix())
                if inner.is_dir():
                    add_dir(target / relative)
                elif inner.is_file():
                    add_file(inner, target / relative)
        elif into_folder:
            add_file(source, target / source.name)
        else:
            add_file(source, target)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(items):
            info, data = items[name]
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    state.layers.append((buffer.getvalue(), ""))


def _resolve(context: Path, sources: list[str], where: str) -> list[Path]:
    root = context.resolve()
    found: list[Path] = []
    for source in sources:
        pattern = source.lstrip("/")
        inside = (root / pattern).resolve()
        if inside != root and root not in inside.parents:
            raise BuildError(
                f"{where}: {source!r} is outside the build context",
                hint="a build only sees the folder you build (the context) and what is in it",
            )
        if any(ch in pattern for ch in "*?["):
            matches = sorted(p for p in root.glob(pattern) if not _ignored(root, p))
        else:
            matches = [root / pattern] if (root / pattern).exists() else []
        if not matches:
            raise BuildError(
                f"{where}: {source!r} is not in the build context {context}",
                hint="paths are relative to the folder you build (the context)",
            )
        for match in matches:
            resolved = match.resolve()
            if resolved != root and root not in resolved.parents:
                raise BuildError(f"{where}: {source!r} is outside the build context")
            found.append(resolved)
    return found


def _ignored(root: Path, path: Path) -> bool:
    ignore = root / ".dockerignore"
    if not ignore.is_file():
        return False
    relative = path.relative_to(root).as_posix()
    patterns = [p.strip() for p in ignore.read_text().splitlines() if p.strip()]
    return any(fnmatch.fnmatch(relative, p) for p in patterns if not p.startswith("#"))


def _unpack(
    archive: Path,
    dest: PurePosixPath,
    items: dict[str, tuple[tarfile.TarInfo, bytes | None]],
    owner: tuple[int, int],
) -> None:
    with tarfile.open(archive, "r:*") as source:
        for member in source.getmembers():
            relative = PurePosixPath(member.name)
            if relative.is_absolute() or ".." in relative.parts:
                continue
            name = str(dest / relative).lstrip("/")
            if member.isdir():
                items[name] = (base.entry(name, kind=tarfile.DIRTYPE, mode=member.mode), None)
            elif member.isfile():
                extracted = source.extractfile(member)
                data = extracted.read() if extracted else b""
                info = base.entry(name, mode=member.mode, size=len(data))
                info.uid, info.gid = owner
                items[name] = (info, data)


def _owner(state: _State, chown: str | None, where: str) -> tuple[int, int]:
    if not chown:
        return 0, 0
    user, _, group = chown.partition(":")

    def number(word: str, table: dict[str, int], what: str) -> int:
        if word.isdigit():
            return int(word)
        if word in table:
            return table[word]
        raise BuildError(f"{where}: no {what} {word!r} in the image (numbers always work)")

    uid = number(user, state.users, "user")
    gid = number(group, state.groups, "group") if group else uid
    return uid, gid


_HANDLERS: dict[str, Callable[[_State, str, Path, str], None]] = {
    "ENV": _env,
    "ARG": _arg,
    "LABEL": _label,
    "MAINTAINER": _maintainer,
    "EXPOSE": _expose,
    "USER": _user,
    "WORKDIR": _workdir,
    "CMD": _cmd,
    "ENTRYPOINT": _entrypoint,
    "VOLUME": _volume,
    "STOPSIGNAL": _stopsignal,
    "COPY": _copy,
    "ADD": _add,
}


def _expand(value: str, env: Mapping[str, str], args: Mapping[str, str]) -> str:
    """``$VAR``, ``${VAR}`` and ``${VAR:-default}``, from ENV then ARG (as Docker does)."""
    known = {**args, **env}

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        default = match.group("default")
        got = known.get(name, "")
        return got if got or default is None else default

    pattern = r"\$(?:\{(?P<braced>\w+)(?::-(?P<default>[^}]*))?\}|(?P<plain>\w+))"
    return re.sub(pattern, replace, value)


# -- writing -----------------------------------------------------------------------------------


def _write(state: _State, output: Path, tag: str) -> oci.Image:
    """Write the layout into a fresh folder, then move it to ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=output.parent))
    try:
        writer = oci.LayoutWriter(staging)
        descriptors, diff_ids = [], []
        for tar_bytes, _ in state.layers:
            descriptor, diff_id = writer.layer(tar_bytes)
            descriptors.append(descriptor)
            diff_ids.append(diff_id)
        config = {
            "created": CREATED,
            "architecture": base.architecture(),
            "os": "linux",
            "config": state.settings,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": state.history,
        }
        config_descriptor = writer.json_blob(config, oci.CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": oci.MANIFEST,
            "config": config_descriptor.to_json(),
            "layers": [d.to_json() for d in descriptors],
        }
        writer.index(writer.json_blob(manifest, oci.MANIFEST), tag)
        if output.exists():
            shutil.rmtree(output)
        staging.replace(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return oci.read(output)
