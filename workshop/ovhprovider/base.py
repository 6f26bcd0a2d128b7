"""What every resource and data source here shares: the provider's client, the waits a
``timeouts`` block sets, and API failures turned into diagnostics (never a traceback)."""

from __future__ import annotations

from typing import Any, ClassVar

from tf import schema
from tf.iface import (
    CreateContext,
    DataSource,
    DeleteContext,
    ImportContext,
    ReadContext,
    ReadDataContext,
    Resource,
    UpdateContext,
)
from tf.utils import Diagnostics

from workshop.ovhprovider import api, checks
from workshop.ovhprovider.blocks import blocks_of, complete, settled
from workshop.ovhprovider.fields import first


def report(diags: Diagnostics, failure: api.Failure) -> None:
    diags.add_error(failure.summary, failure.detail)


class ApiResource(Resource):
    """A resource over the OVHcloud API. Subclasses set ``NAME``, ``SCHEMA`` and
    ``TIMEOUTS`` (the real resource's defaults, in seconds) and write ``created``,
    ``fetched``, ``updated``, ``deleted`` and ``imported``; an ``api.Failure`` they raise
    becomes the error OpenTofu prints."""

    NAME: ClassVar[str]
    SCHEMA: ClassVar[schema.Schema]
    TIMEOUTS: ClassVar[dict[str, float]]

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.NAME

    @classmethod
    def get_schema(cls) -> schema.Schema:
        return cls.SCHEMA

    def client(self) -> Any:
        return self.provider.client()

    def timeout(self, state: dict[str, Any], kind: str) -> float:
        """The wait for ``kind`` (create, update, delete): the ``timeouts`` block's, else
        its ``default``, else the real resource's default."""
        given = first(state.get("timeouts")) or {}
        for name in (kind, "default"):
            value = given.get(name)
            parsed = checks.go_duration(value) if isinstance(value, str) else None
            if parsed is not None:
                return parsed
        return self.TIMEOUTS[kind]

    def complete(self, state: dict[str, Any] | None) -> dict[str, Any] | None:
        """A state to hand back: every attribute and block, nothing left unknown."""
        done: dict[str, Any] | None = complete(
            self.SCHEMA.attributes, blocks_of(self.SCHEMA), settled(state)
        )
        return done

    # -- the framework's entry points --------------------------------------------------

    def validate(self, diags: Diagnostics, type_name: str, config: dict[str, Any]) -> None:
        super().validate(diags, type_name, config)
        checks.timeouts(diags, config.get("timeouts"))
        self.check(diags, config)

    def check(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        """Checks of the configuration the real schema makes (none by default)."""

    def create(self, ctx: CreateContext, planned: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self.complete(self.created(planned))
        except api.Failure as e:
            report(ctx.diagnostics, e)
            return None

    def read(self, ctx: ReadContext, current: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self.complete(self.fetched(current))
        except api.Failure as e:
            report(ctx.diagnostics, e)
            return current  # on a failure the state stays as it was

    def update(
        self, ctx: UpdateContext, current: dict[str, Any], planned: dict[str, Any]
    ) -> dict[str, Any] | None:
        try:
            return self.complete(self.updated(current, planned))
        except api.Failure as e:
            report(ctx.diagnostics, e)
            return current

    def delete(self, ctx: DeleteContext, current: dict[str, Any]) -> None:
        try:
            self.deleted(current)
        except api.Failure as e:
            report(ctx.diagnostics, e)

    def import_(self, ctx: ImportContext, id: str) -> dict[str, Any] | None:
        try:
            return self.complete(self.imported(id))
        except api.Failure as e:
            report(ctx.diagnostics, e)
            return None

    # -- what each resource writes -------------------------------------------------------

    def created(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def fetched(self, current: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def updated(self, current: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def deleted(self, current: dict[str, Any]) -> None:
        raise NotImplementedError

    def imported(self, id: str) -> dict[str, Any] | None:
        raise NotImplementedError


class ApiDataSource(DataSource):
    """A data source over the OVHcloud API: ``NAME``, ``SCHEMA`` and ``fetch(config)``."""

    NAME: ClassVar[str]
    SCHEMA: ClassVar[schema.Schema]

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.NAME

    @classmethod
    def get_schema(cls) -> schema.Schema:
        return cls.SCHEMA

    def client(self) -> Any:
        return self.provider.client()

    def read(self, ctx: ReadDataContext, config: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self.fetch(config)
        except api.Failure as e:
            report(ctx.diagnostics, e)
            return None

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError


def split_id(id: str, *, pieces: int, parts: int, message: str) -> list[str]:
    """An import ID cut as Go's ``strings.SplitN(id, "/", pieces)``, which must give
    ``parts`` non-empty parts; else the real provider's error ``message``."""
    found = id.split("/", pieces - 1)
    if len(found) != parts or not all(found):
        raise api.Failure(message, f"got {id!r}")
    return found
