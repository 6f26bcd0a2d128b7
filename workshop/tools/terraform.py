"""OpenTofu from Python: a working folder, init/plan/apply/destroy/import, plans as data.

Public module::

    from workshop.tools import terraform
    work = terraform.workspace("labs/10-terraform/terraform", name="lab-10")
    work.init()
    plan = work.plan()            # a Plan: adds, changes, destroys, what forces a replacement
    work.apply()
    work.output("cluster_id")
    work.destroy()

The CLI is OpenTofu (``tofu``, MPL-2.0; Terraform's own license has been the BUSL since
1.6), found on PATH or through ``workshop binaries path tofu``. Command lines are built by
PyPI ``python-terraform`` (``Terraform.generate_cmd_string``); running them is done here,
because python-terraform 0.10.1 runs every command with the kernel's own environment (no
way to pass the provider's settings to one command only), calls the deprecated
``logging.warn`` on every failure, and adds the ``-force`` flag that ``destroy`` no longer has.

Which API the ``ovh`` provider reaches:

- **The emulator** (default): ``OVH_ENDPOINT`` is its URL and the keys come from
  ``$WORKSHOP_HOME/ovh.conf``, given to the ``tofu`` process only (never printed). The
  provider is installed into a filesystem mirror named by a CLI configuration
  (``TF_CLI_CONFIG_FILE``), so ``tofu init`` works offline.
- **The real OVHcloud API** when ``OVH_ENDPOINT`` names it (``ovh-eu``...) with its keys
  in the environment: nothing is added, and ``tofu init`` fetches the real ``ovh/ovh``
  provider from the registry. Same HCL.
"""

from __future__ import annotations

import configparser
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_terraform

from workshop import ovhprovider
from workshop.errors import WorkshopError
from workshop.home import workshop_home
from workshop.tools import mks
from workshop.tools import ovh as ovh_tools

TIMEOUT = 1800.0
PROVIDER_HOSTS = ("registry.opentofu.org", "registry.terraform.io")
STATE_FILES = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup")


class TerraformError(WorkshopError):
    """A ``tofu`` command failed: its last lines say why."""


def tofu_binary() -> Path:
    """``tofu`` on PATH, else the one ``workshop binaries`` found or built."""
    found = shutil.which("tofu")
    if found:
        return Path(found)
    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "binaries", "path", "tofu"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    path = Path(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    if done.returncode != 0 or path is None or not path.exists():
        raise TerraformError(
            "OpenTofu (tofu) is not installed",
            hint="`workshop binaries install tofu` builds it, or `conda install -c "
            "conda-forge opentofu`",
        )
    return path


def _platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{sys.platform.removesuffix('2')}_{arch}"  # linux_amd64, darwin_arm64


def install_provider(home: Path | None = None) -> Path:
    """Put the workshop's ``ovh/ovh`` provider in a local mirror and write the CLI config
    that points OpenTofu at it; the config's path (for ``TF_CLI_CONFIG_FILE``)."""
    root = (home or workshop_home()) / "terraform"
    mirror = root / "providers"
    sources = []
    for host in PROVIDER_HOSTS:
        source = f"{host}/{ovhprovider.SOURCE}"
        folder = mirror / source / ovhprovider.VERSION / _platform()
        folder.mkdir(parents=True, exist_ok=True)
        launcher = folder / f"terraform-provider-ovh_v{ovhprovider.VERSION}"
        launcher.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -m workshop.ovhprovider "$@"\n', encoding="utf-8"
        )
        launcher.chmod(0o755)
        sources.append(source)
    included = ", ".join(f'"{s}"' for s in sources)
    config = root / "tofurc"
    config.write_text(
        "# Written by the workshop: OpenTofu takes the ovh/ovh provider from a local mirror.\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{included}]\n  }}\n'
        f"  direct {{\n    exclude = [{included}]\n  }}\n"
        "}\n",
        encoding="utf-8",
    )
    return config


def emulator_env(home: Path | None = None) -> dict[str, str]:
    """The provider's settings for the emulated API (started if it is not running)."""
    ovh_tools.client()  # starts the emulator and writes its keys when needed
    parser = configparser.RawConfigParser()
    parser.read(ovh_tools.conf_path())
    section = parser[ovh_tools.EMULATOR]
    return {
        "TF_CLI_CONFIG_FILE": str(install_provider(home)),
        "OVH_ENDPOINT": section["url"],
        "OVH_APPLICATION_KEY": section["application_key"],
        "OVH_APPLICATION_SECRET": section["application_secret"],
        "OVH_CONSUMER_KEY": section["consumer_key"],
    }


def service_name() -> str:
    """The Public Cloud project (``service_name``), chosen as every lab chooses it
    (``$OVH_CLOUD_PROJECT_SERVICE``, else the account's only one)."""
    return mks.project(ovh_tools.client())


@dataclass(frozen=True)
class Attribute:
    """One attribute in a planned change; ``None`` is null, ``unknown`` "(known after apply)"."""

    name: str
    before: Any
    after: Any
    unknown: bool = False
    sensitive: bool = False
    forces_replacement: bool = False


@dataclass(frozen=True)
class Change:
    """What the plan does to one resource: create, update, delete, replace, read or no-op."""

    address: str
    type: str
    action: str
    attributes: tuple[Attribute, ...] = ()
    reason: str | None = None

    @property
    def replaced_by(self) -> tuple[str, ...]:
        """The attributes that force the replacement."""
        return tuple(a.name for a in self.attributes if a.forces_replacement)


@dataclass(frozen=True)
class Plan:
    """A saved plan, read from ``tofu show -json``."""

    changes: tuple[Change, ...]
    drift: tuple[Change, ...] = ()
    outputs: tuple[Change, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def adds(self) -> int:
        return sum(c.action in ("create", "replace") for c in self.changes)

    @property
    def updates(self) -> int:
        return sum(c.action == "update" for c in self.changes)

    @property
    def destroys(self) -> int:
        return sum(c.action in ("delete", "replace") for c in self.changes)

    @property
    def empty(self) -> bool:
        """No change to make (``tofu plan`` says "No changes")."""
        return not any(c.action not in ("no-op", "read") for c in self.changes)

    def summary(self) -> str:
        """The line ``tofu plan`` ends with."""
        if self.empty:
            return "No changes. Your infrastructure matches the configuration."
        return f"Plan: {self.adds} to add, {self.updates} to change, {self.destroys} to destroy."

    def change(self, address: str) -> Change:
        for found in self.changes:
            if found.address == address:
                return found
        raise KeyError(address)


def _action(actions: list[str]) -> str:
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    return actions[0] if actions else "no-op"


def _attributes(change: dict[str, Any], action: str) -> tuple[Attribute, ...]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    sensitive = {**(change.get("before_sensitive") or {}), **(change.get("after_sensitive") or {})}
    replacing = {str(p[0]) for p in change.get("replace_paths") or [] if p}
    found = []
    for name in sorted(set(before) | set(after) | set(unknown)):
        old, new, later = before.get(name), after.get(name), unknown.get(name) is True
        same = old == new and not later
        if (
            (action in ("update", "replace") and same)
            or (action == "create" and new is None and not later)
            or (action == "delete" and old is None)
        ):
            continue
        found.append(
            Attribute(
                name,
                old if action != "create" else None,
                None if later or action == "delete" else new,
                unknown=later,
                sensitive=bool(sensitive.get(name)),
                forces_replacement=name in replacing,
            )
        )
    return tuple(found)


def _change(entry: dict[str, Any]) -> Change:
    change = entry.get("change") or {}
    action = _action(list(change.get("actions") or []))
    return Change(
        address=str(entry.get("address", "")),
        type=str(entry.get("type", "")),
        action=action,
        attributes=_attributes(change, action),
        reason=entry.get("action_reason"),
    )


def parse_plan(data: dict[str, Any]) -> Plan:
    """A ``Plan`` from the JSON of ``tofu show -json PLANFILE``."""
    outputs = tuple(
        Change(address=f"output.{name}", type="output", action=_action(c.get("actions") or []))
        for name, c in sorted((data.get("output_changes") or {}).items())
    )
    return Plan(
        changes=tuple(_change(e) for e in data.get("resource_changes") or []),
        drift=tuple(_change(e) for e in data.get("resource_drift") or []),
        outputs=outputs,
        raw=data,
    )


class Workspace:
    """A Terraform working folder (a copy of the lab's HCL) and the environment ``tofu`` gets."""

    def __init__(
        self, directory: Path, *, env: dict[str, str] | None = None, binary: Path | None = None
    ) -> None:
        self.dir = directory
        self.env = env or {}
        self.binary = binary or tofu_binary()
        self.builder = python_terraform.Terraform(
            working_dir=str(directory), terraform_bin_path=str(self.binary)
        )
        self.last_output = ""
        self.last_exit: int | None = None

    def command(self, name: str, *args: str, **options: Any) -> list[str]:
        """The command line, as python-terraform builds it (``-no-color``, ``-input=false``)."""
        options.setdefault("no_color", python_terraform.IsFlagged)
        built: list[str] = self.builder.generate_cmd_string(name, *args, **options)
        return built

    def run(self, name: str, *args: str, ok: tuple[int, ...] = (0,), **options: Any) -> str:
        """Run ``tofu NAME ...``; its output, or a ``TerraformError`` with its last lines."""
        command = self.command(name, *args, **options)
        env = {
            **os.environ,
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            **self.env,
        }
        try:
            done = subprocess.run(
                command,
                cwd=self.dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise TerraformError(f"tofu {name} took longer than {TIMEOUT:.0f}s") from e
        self.last_output = done.stdout + done.stderr
        self.last_exit = done.returncode
        if done.returncode not in ok:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
            raise TerraformError(
                f"tofu {name} failed (exit {done.returncode}):\n{tail}",
                hint=f"run `tofu {name}` in {self.dir} to see everything it says",
            )
        return done.stdout

    def init(self) -> str:
        return self.run("init", input=False)

    def plan(self, *, destroy: bool = False, refresh_only: bool = False) -> Plan:
        """``tofu plan -out``, then ``tofu show -json`` of that plan."""
        flags = {"destroy": python_terraform.IsFlagged} if destroy else {}
        if refresh_only:
            flags["refresh_only"] = python_terraform.IsFlagged
        self.run(
            "plan",
            input=False,
            out="tfplan",
            ok=(0, 2),
            detailed_exitcode=python_terraform.IsFlagged,
            **flags,
        )
        return self.show_plan("tfplan")

    def pending(self, planfile: str) -> Plan | None:
        """``tofu plan -detailed-exitcode -lock=false -out=PLANFILE``, for a check: ``None``
        when it has nothing to do (exit 0), else the plan (exit 2). PLANFILE (a name of the
        caller's, never the learner's ``tfplan``) is deleted after; nothing is locked."""
        try:
            self.run(
                "plan",
                input=False,
                lock=False,
                out=planfile,
                ok=(0, 2),
                detailed_exitcode=python_terraform.IsFlagged,
            )
            if self.last_exit == 0:
                return None
            return self.show_plan(planfile)
        finally:
            (self.dir / planfile).unlink(missing_ok=True)

    def show_plan(self, planfile: str) -> Plan:
        return parse_plan(json.loads(self.run("show", planfile, json=python_terraform.IsFlagged)))

    def apply(self, planfile: str | None = None) -> str:
        if planfile:
            return self.run("apply", planfile, input=False)
        return self.run("apply", input=False, auto_approve=python_terraform.IsFlagged)

    def destroy(self) -> str:
        return self.run("destroy", input=False, auto_approve=python_terraform.IsFlagged)

    def import_(self, address: str, resource_id: str) -> str:
        return self.run("import", address, resource_id, input=False)

    def state(self) -> dict[str, Any]:
        """``tofu show -json``: the state, values included (sensitive ones too: never print it)."""
        data: dict[str, Any] = json.loads(self.run("show", json=python_terraform.IsFlagged))
        return data

    def resources(self) -> list[str]:
        """``tofu state list``: the addresses in the state."""
        return self.run("state list", ok=(0, 1)).split()

    def use(self) -> None:
        """Give this kernel's ``!tofu`` cells the same settings (keys are set, never shown)."""
        os.environ.update(self.env)
        folder = str(self.binary.parent)
        if folder not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")

    def output(self, name: str) -> Any:
        """One output's value (sensitive ones included: never print them)."""
        return json.loads(self.run("output", name, json=python_terraform.IsFlagged))


def workspace(
    source: str | Path,
    *,
    name: str,
    home: Path | None = None,
    fresh: bool = False,
) -> Workspace:
    """A working folder ``$WORKSHOP_HOME/terraform/NAME`` holding a copy of ``source``'s HCL.

    Files are copied when missing (``fresh`` copies them all again): the learner edits
    the copy, the lab's own files stay as they are. On the emulator the provider gets
    its settings, and ``service_name`` the project's id, through the environment.
    """
    base = home or workshop_home()
    work = base / "terraform" / name
    work.mkdir(parents=True, exist_ok=True)
    source = Path(source)
    for path in source.rglob("*.tf"):
        target = work / path.relative_to(source)
        if fresh or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    env = _environment(base, work)
    (work / "workshop.auto.tfvars").write_text(
        f'service_name = "{env["TF_VAR_service_name"]}"\n', encoding="utf-8"
    )
    return Workspace(work, env=env)


def existing(name: str, *, home: Path | None = None) -> Workspace:
    """The working folder ``$WORKSHOP_HOME/terraform/NAME`` as it is (nothing copied or
    written but the provider's settings), with the environment ``workspace`` gives it;
    a ``TerraformError`` when there is no such folder."""
    base = home or workshop_home()
    work = base / "terraform" / name
    if not work.is_dir() or not any(work.glob("*.tf")):
        raise TerraformError(
            f"there is no Terraform working folder {work} (or it holds no .tf file)",
            hint="the lab's first cell, or `workshop solve`, creates it with "
            "`terraform.workspace(...)`",
        )
    return Workspace(work, env=_environment(base, work))


def _environment(base: Path, work: Path) -> dict[str, str]:
    """What ``tofu`` needs in ``work``: on the emulator, the provider's settings (also
    written to ``work/ovh.conf`` for a terminal); always ``TF_VAR_service_name``."""
    env: dict[str, str] = {}
    if ovh_tools.real_endpoint() is None:
        env.update(emulator_env(base))
        _write_terminal_settings(work, env)
    env["TF_VAR_service_name"] = service_name()
    return env


def _write_terminal_settings(work: Path, env: dict[str, str]) -> None:
    """``ovh.conf`` in the working folder (owner-only), as go-ovh and python-ovh read it,
    so ``tofu`` typed in a terminal there reaches the emulator with nothing but
    ``TF_CLI_CONFIG_FILE`` set."""
    conf = work / "ovh.conf"
    conf.touch(mode=0o600, exist_ok=True)
    conf.chmod(0o600)
    endpoint = env["OVH_ENDPOINT"]
    conf.write_text(
        f"[default]\nendpoint={endpoint}\n\n[{endpoint}]\n"
        f"application_key={env['OVH_APPLICATION_KEY']}\n"
        f"application_secret={env['OVH_APPLICATION_SECRET']}\n"
        f"consumer_key={env['OVH_CONSUMER_KEY']}\n",
        encoding="utf-8",
    )


def forget(name: str, *, home: Path | None = None) -> None:
    """Remove a working folder (its state too): only once what it created is destroyed."""
    shutil.rmtree((home or workshop_home()) / "terraform" / name, ignore_errors=True)
