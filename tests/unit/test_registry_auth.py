"""The sandbox registry's login: made once, kept across starts, written only to 0600 files
in the formats the registry (htpasswd, bcrypt) and its clients (Docker config.json) read."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import bcrypt
import pytest

from workshop.sandbox import components, registry_auth
from workshop.sandbox.layout import Layout
from workshop.tools import registry as registries


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_password_is_made_once_and_kept_across_starts(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert registry_auth.load(layout) is None
    first = registry_auth.ensure(layout, "127.0.0.1:5000")
    assert first.user == "workshop" and len(first.password) >= 32
    # a restart on another port: same password, config.json for the new port
    again = registry_auth.ensure(layout, "127.0.0.1:5001")
    assert again == first == registry_auth.load(layout)
    auths = json.loads((registry_auth.docker_config(layout) / "config.json").read_text())
    assert set(auths["auths"]) == {"127.0.0.1:5001", "localhost:5001"}
    token = base64.b64decode(auths["auths"]["127.0.0.1:5001"]["auth"]).decode()
    assert token == f"workshop:{first.password}"
    # the registry checks a bcrypt hash, never the password in clear
    user, _, hashed = registry_auth.htpasswd_file(layout).read_text().strip().partition(":")
    assert user == "workshop" and hashed.startswith("$2b$")
    assert bcrypt.checkpw(first.password.encode(), hashed.encode())
    assert not bcrypt.checkpw(b"guess", hashed.encode())
    for private in (
        registry_auth.password_file(layout),
        registry_auth.htpasswd_file(layout),
        registry_auth.docker_config(layout) / "config.json",
    ):
        assert mode(private) == 0o600, private
    assert mode(registry_auth.folder(layout)) == 0o700
    # two different sandboxes get two different passwords
    other = registry_auth.ensure(Layout(tmp_path / "other"), "127.0.0.1:5000")
    assert other.password != first.password


def test_a_password_file_made_readable_is_closed_again(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    registry_auth.ensure(layout, "127.0.0.1:5000")
    registry_auth.password_file(layout).chmod(0o644)
    registry_auth.ensure(layout, "127.0.0.1:5000")
    assert mode(registry_auth.password_file(layout)) == 0o600


def test_the_registry_config_turns_on_htpasswd_auth(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    config = components.registry_config(layout, 5000)
    assert config["auth"] == {
        "htpasswd": {
            "realm": "workshop-sandbox-registry",
            "path": str(registry_auth.htpasswd_file(layout)),
        }
    }


def test_clients_find_the_login_by_its_files_never_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKSHOP_REGISTRY", raising=False)
    layout = Layout(tmp_path)
    login = registry_auth.ensure(layout, "127.0.0.1:5000")
    where = {
        "host": "127.0.0.1:5000",
        "ca": str(tmp_path / "ca.crt"),
        "user": login.user,
        "password_file": str(registry_auth.password_file(layout)),
        "docker_config": str(registry_auth.docker_config(layout)),
    }
    (tmp_path / "registry.json").write_text(json.dumps(where))
    target = registries.find(tmp_path)
    assert target.user == "workshop"
    env = target.env()
    assert env["DOCKER_CONFIG"] == str(tmp_path / "registry-auth")
    assert env["HELM_REGISTRY_CONFIG"] == str(tmp_path / "registry-auth" / "config.json")
    assert env["SSL_CERT_FILE"] == str(tmp_path / "ca.crt")
    assert target.helm_flags() == [
        "--ca-file",
        str(tmp_path / "ca.crt"),
        "--registry-config",
        str(tmp_path / "registry-auth" / "config.json"),
    ]
    shown = " ".join([target.shell_env(), *target.helm_flags(), repr(target)])
    leaked = login.password in shown
    assert not leaked
    # a registry of one's own ($WORKSHOP_REGISTRY) keeps the user's own crane/helm logins
    monkeypatch.setenv("WORKSHOP_REGISTRY", "xxxx.gra7.container-registry.ovh.net")
    mine = registries.find(tmp_path)
    assert mine.docker_config is None and "DOCKER_CONFIG" not in mine.variables()
