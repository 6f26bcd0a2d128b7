"""``workshop.tools.ovh.client()``: the emulator by default, the real API when configured."""

from __future__ import annotations

import stat
from pathlib import Path

import ovh
import pytest

from workshop.cloud import ENDPOINT, ovhconf
from workshop.errors import CloudError
from workshop.tools import ovh as ovh_tools

KEYS = ovhconf.Keys(
    url="http://127.0.0.1:1/1.0",  # nothing listens on port 1
    application_key="AK" * 8,
    application_secret="AS" * 16,
    consumer_key="CK" * 16,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A workshop home of its own, and no OVH_* variables from the machine running the tests."""
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY", "CLIENT_ID"):
        monkeypatch.delenv(f"OVH_{name}", raising=False)
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # python-ovh also reads ./ovh.conf
    return tmp_path


def test_the_names_agree() -> None:
    assert ovh_tools.EMULATOR == ENDPOINT
    assert ovh_tools.conf_path().name == "ovh.conf"


def test_ovh_conf_is_private_and_keeps_other_sections(clean_env: Path) -> None:
    path = clean_env / "ovh.conf"
    path.write_text("[ovh-eu]\napplication_key=real\n")
    ovhconf.write(path, KEYS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ovhconf.read(path) == KEYS
    assert "application_key=real" in path.read_text().replace(" = ", "=")
    ovhconf.set_url(path, "http://127.0.0.1:2/1.0")
    assert ovhconf.read(path).url == "http://127.0.0.1:2/1.0"  # type: ignore[union-attr]
    masked = KEYS.masked()
    assert KEYS.application_secret not in str(masked) and KEYS.consumer_key not in str(masked)


def test_the_emulator_is_a_registered_endpoint_name(clean_env: Path) -> None:
    ovhconf.write(clean_env / "ovh.conf", KEYS)
    started: list[bool] = []
    api = ovh_tools.client(start_emulator=lambda: started.append(True))
    assert started == [True]  # nothing answered at the URL: the emulator was started
    assert ovh.client.ENDPOINTS[ENDPOINT] == KEYS.url
    assert isinstance(api, ovh.Client)
    assert "emulated" in ovh_tools.target()


def test_without_keys_after_start_the_error_says_what_to_do(clean_env: Path) -> None:
    with pytest.raises(CloudError, match="no keys for the emulated OVHcloud API") as e:
        ovh_tools.client(start_emulator=lambda: None)
    assert "workshop cloud credentials" in str(e.value)


def test_a_real_endpoint_in_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    ovhconf.write(clean_env / "ovh.conf", KEYS)
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-eu")
    with pytest.raises(CloudError, match="its keys are not"):
        ovh_tools.client(start_emulator=pytest.fail)
    monkeypatch.setenv("OVH_APPLICATION_KEY", "real-ak")
    monkeypatch.setenv("OVH_APPLICATION_SECRET", "real-as")
    monkeypatch.setenv("OVH_CONSUMER_KEY", "real-ck")
    api = ovh_tools.client(start_emulator=pytest.fail)
    assert isinstance(api, ovh.Client)
    assert "ovh-eu" in ovh_tools.target()


def test_keys_without_an_endpoint_or_an_unknown_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVH_APPLICATION_KEY", "real-ak")
    with pytest.raises(CloudError, match="no endpoint"):
        ovh_tools.client(start_emulator=pytest.fail)
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-mars")
    with pytest.raises(CloudError, match="unknown OVHcloud endpoint 'ovh-mars'"):
        ovh_tools.client(start_emulator=pytest.fail)


def test_the_emulators_url_as_endpoint_means_the_emulator(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    # what the Terraform lab exports for go-ovh: a URL, which python-ovh cannot take
    ovhconf.write(clean_env / "ovh.conf", KEYS)
    monkeypatch.setenv("OVH_ENDPOINT", KEYS.url)
    assert ovh_tools.real_endpoint() is None
