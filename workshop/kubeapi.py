"""Any Kubernetes object by apiVersion and kind, through the official client's ``ApiClient``.

Public module: ``KubeApi`` reads (``get``, ``list``, a pod's ``logs``), server-side applies
and deletes any object, built-in or custom, after discovering its resource name and scope
from the API server, like kubectl does; it asks who may do what (``review_access``) and
whether an object would be admitted (``dry_run_create``). ``http_get`` is the one call
that is not the Kubernetes API: it asks a Service's public (LoadBalancer) address for a
page, as a browser would.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes.client import ApiClient, ApiException

from workshop.errors import ClusterError

Object = dict[str, Any]
FIELD_MANAGER = "workshop"


@dataclass(frozen=True)
class Resource:
    """Where the objects of one kind live in the API: ``/apis/apps/v1/.../deployments``."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        path = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            path += f"/namespaces/{urllib.parse.quote(namespace, safe='')}"
        path += f"/{self.plural}"
        if name:
            path += f"/{urllib.parse.quote(name, safe='')}"
        return path


@dataclass(frozen=True)
class HttpAnswer:
    """What a web server answered: the status code and the page (decoded, maybe cut short)."""

    status: int
    text: str


class KubeApi:
    """Generic get/list/apply/delete over one ``ApiClient`` (one cluster, one user)."""

    def __init__(
        self, api_client: ApiClient, *, context: str | None = None, timeout: float = 15.0
    ) -> None:
        self.api_client = api_client
        self.context = context
        self.timeout = timeout
        self._resources: dict[str, dict[str, Resource]] = {}

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
        text: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """One API call; the parsed JSON answer (with ``text``, the answer as text), or
        ``ClusterError`` with the server's reason.

        ``body`` is JSON-encoded by the client, unless it is already a string. ``headers``
        adds to the request's (e.g. ``Impersonate-User``, for an admin acting as someone).
        """
        accept = "text/plain, */*" if text else "application/json"
        headers = {"Accept": accept, "Content-Type": content_type, **(headers or {})}
        try:
            serialized = self.api_client.param_serialize(
                method,
                path,
                query_params=list(query),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self.api_client.call_api(
                *serialized, _request_timeout=timeout or self.timeout
            )
            data: bytes = response.response.data
            status: int = response.status
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as e:
            raise ClusterError(
                f"cannot reach the cluster at {self.server}: {_short(e)}",
                context=self.context,
                hint="is the cluster running? `workshop sandbox up` starts the local sandbox; "
                "`kubectl cluster-info` shows what your context points to",
            ) from e
        if 200 <= status < 300:
            if text:
                return data.decode(errors="replace")
            return json.loads(data) if data else None
        raise _refusal(method, path, status, data, self.context)

    def resource(self, api_version: str, kind: str) -> Resource:
        """The resource serving ``kind`` in ``api_version`` (discovered once, then cached)."""
        known = self._resources.get(api_version)
        if known is None or kind not in known:
            known = self._discover(api_version)
        if kind not in known:
            raise ClusterError(
                f"the cluster serves no kind {kind} in {api_version}",
                context=self.context,
                status=404,
                hint=f"`kubectl api-resources --api-group={api_version.rpartition('/')[0]}` "
                "lists what it serves; a custom resource needs its CRD installed first",
            )
        return known[kind]

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> Object | None:
        """The object, or ``None`` when it does not exist."""
        resource = self.resource(api_version, kind)
        try:
            found: Object = self.request("GET", resource.path(namespace, name))
        except ClusterError as e:
            if e.status == 404:
                return None
            raise
        return found

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[Object]:
        """Objects of one kind (in one namespace, or everywhere), optionally by label."""
        resource = self.resource(api_version, kind)
        query = [("labelSelector", label_selector)] if label_selector else []
        answer = self.request("GET", resource.path(namespace), query=query)
        items: list[Object] = answer.get("items") or []
        for item in items:  # list answers leave these out of each item
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def apply(self, obj: Object, *, namespace: str | None = None) -> Object:
        """Server-side apply (``kubectl apply --server-side --force-conflicts``)."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        name = (obj.get("metadata") or {}).get("name")
        if not (api_version and kind and name):
            raise ClusterError("a manifest needs apiVersion, kind and metadata.name")
        resource = self.resource(api_version, kind)
        if resource.namespaced:
            namespace = obj["metadata"].get("namespace") or namespace or "default"
            obj = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        applied: Object = self.request(
            "PATCH",
            resource.path(namespace, name),
            query=query,
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
        )
        return applied

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None) -> bool:
        """Delete in the background; ``False`` when there was nothing to delete."""
        resource = self.resource(api_version, kind)
        body = {"propagationPolicy": "Background"}
        try:
            self.request("DELETE", resource.path(namespace, name), body=body)
        except ClusterError as e:
            if e.status == 404:
                return False
            raise
        return True

    def logs(self, name: str, namespace: str, *, container: str | None = None) -> str:
        """A pod's container log, as `kubectl logs` prints it."""
        query = [("container", container)] if container else []
        path = Resource("v1", "Pod", "pods", True).path(namespace, name) + "/log"
        answer: str = self.request("GET", path, query=query, text=True)
        return answer

    def review_access(self, spec: Object) -> Object:
        """Whether ``spec`` (a SubjectAccessReview's: user, groups, resourceAttributes) is
        allowed: the review's ``status`` (``allowed``, ``reason``)."""
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": spec,
        }
        answer = self.request(
            "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body=review
        )
        status: Object = answer.get("status") or {}
        return status

    def version(self) -> Object:
        """The API server's version, as `kubectl version` reads it (``/version``)."""
        answer: Object = self.request("GET", "/version")
        return answer

    def dry_run_create(self, obj: Object, *, namespace: str | None = None) -> Object:
        """Create ``obj`` with ``dryRun=All``: admission runs, nothing is stored."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not (api_version and kind):
            raise ClusterError("a manifest needs apiVersion and kind")
        resource = self.resource(api_version, kind)
        if resource.namespaced:
            namespace = (obj.get("metadata") or {}).get("namespace") or namespace or "default"
        query = [("dryRun", "All"), ("fieldManager", FIELD_MANAGER)]
        created: Object = self.request("POST", resource.path(namespace), query=query, body=obj)
        return created

    def http_get(self, url: str, *, timeout: float = 5.0) -> HttpAnswer:
        """GET a page straight from its address (no proxy: these addresses are the cluster's)."""
        parts = urllib.parse.urlsplit(url)
        connection_type = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_type(parts.hostname or "", parts.port, timeout=timeout)
        try:
            connection.request("GET", parts.path or "/", headers={"User-Agent": "workshop-check"})
            response = connection.getresponse()
            return HttpAnswer(response.status, response.read(64 * 1024).decode(errors="replace"))
        finally:
            connection.close()

    def _discover(self, api_version: str) -> dict[str, Resource]:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            answer = self.request("GET", path)
        except ClusterError as e:
            if e.status == 404:
                raise ClusterError(
                    f"the cluster does not serve apiVersion {api_version}",
                    context=self.context,
                    status=404,
                    hint="`kubectl api-versions` lists what it serves",
                ) from e
            raise
        found = {
            r["kind"]: Resource(api_version, r["kind"], r["name"], bool(r.get("namespaced")))
            for r in answer.get("resources", [])
            if "/" not in r["name"]  # skip subresources such as deployments/scale
        }
        self._resources[api_version] = found
        return found


def _short(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    text = str(reason or error)
    return text if len(text) < 200 else text[:200] + "..."


def _refusal(method: str, path: str, status: int, data: bytes, context: str | None) -> ClusterError:
    """The API server's own words (its ``Status`` message), like kubectl prints them."""
    try:
        message = json.loads(data).get("message") or ""
    except (ValueError, AttributeError):
        message = data.decode(errors="replace")[:300]
    hints = {
        401: "your kubeconfig's credentials were not accepted; are they expired?",
        403: "your kubeconfig's user lacks this permission; "
        "`kubectl auth can-i --list` shows what it may do",
    }
    return ClusterError(
        f"{method} {path} refused ({status}): {message}".rstrip(": "),
        context=context,
        status=status,
        hint=hints.get(status),
    )
