"""The provider itself: its arguments (the real provider's names) and its API client."""

from __future__ import annotations

import threading
from typing import Any

import ovh
from tf import schema, types
from tf.iface import Provider
from tf.utils import Diagnostics

from workshop.ovhprovider import SOURCE, api
from workshop.ovhprovider.access import CloudProjectKubeIpRestrictions, CloudProjectKubeOidc
from workshop.ovhprovider.datasources import DATA_SOURCES
from workshop.ovhprovider.kube import CloudProjectKube
from workshop.ovhprovider.nodepool import CloudProjectKubeNodepool

RESOURCES = [
    CloudProjectKube,
    CloudProjectKubeNodepool,
    CloudProjectKubeIpRestrictions,
    CloudProjectKubeOidc,
]

ARGUMENTS = (
    ("endpoint", False),
    ("access_token", True),
    ("application_key", False),
    ("application_secret", True),
    ("consumer_key", True),
    ("client_id", False),
    ("client_secret", True),
    ("user_agent_extra", False),
)


class OvhProvider(Provider):
    """``provider "ovh" { endpoint = ..., application_key = ... }``, or ``OVH_*`` variables."""

    def __init__(self) -> None:
        self._config: dict[str, Any] = {}
        self._client: ovh.Client | None = None
        self._lock = threading.Lock()  # OpenTofu calls resources from several threads

    def full_name(self) -> str:
        return f"registry.opentofu.org/{SOURCE}"

    def get_model_prefix(self) -> str:
        return "ovh_"

    def get_provider_schema(self, diags: Diagnostics) -> schema.Schema:
        return schema.Schema(
            attributes=[
                schema.Attribute(name, types.String(), optional=True, sensitive=secret)
                for name, secret in ARGUMENTS
            ]
        )

    def validate_config(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        pass

    def configure_provider(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        # Connect lazily, on the first call: `tofu validate` needs no API.
        self._config = dict(config)

    def client(self) -> ovh.Client:
        with self._lock:
            if self._client is None:
                self._client = api.connect(self._config)
            return self._client

    def get_data_sources(self) -> list[Any]:
        return list(DATA_SOURCES)

    def get_resources(self) -> list[Any]:
        return list(RESOURCES)
