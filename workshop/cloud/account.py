"""``/auth/*``, ``/me`` and the Public Cloud projects (pure handlers over the store)."""

from __future__ import annotations

import time
from typing import Any

from workshop.cloud import auth, lookup
from workshop.cloud.routing import Call, Route
from workshop.cloud.store import Credential, Project, Store, token

CONSUMER_KEY_LENGTH = 32
TOKEN_LENGTH = 64


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def auth_time(call: Call) -> int:
    return int(call.now)


def request_credential(call: Call) -> dict[str, Any]:
    """``POST /auth/credential``: a pending consumer key and the page that validates it."""
    application_key = auth.application_for(call.store, call.request)
    body = call.body(known=("accessRules", "redirection", "allowedIPs"))
    rules = auth.check_rules(body.data.get("accessRules"))
    redirection = body.string("redirection")
    allowed_ips = auth.check_ips(body.data.get("allowedIPs"))
    credential = Credential(
        key=token(CONSUMER_KEY_LENGTH),
        application_key=application_key,
        id=call.store.new_number(),  # numbered only once the request is accepted
        rules=rules,
        token=token(TOKEN_LENGTH),
        created=call.now,
        redirection=redirection,
        allowed_ips=allowed_ips,
    )
    call.store.credentials[credential.key] = credential
    return {
        "validationUrl": f"{call.request.base_url}/auth/?credentialToken={credential.token}",
        "consumerKey": credential.key,
        "state": credential.state,
    }


def current_credential(call: Call) -> dict[str, Any]:
    credential = call.credential
    assert credential is not None
    application = call.store.applications[credential.application_key]
    return {
        "credentialId": credential.id,
        "applicationId": application.id,
        "rules": credential.rules,
        "allowedIPs": credential.allowed_ips,
        "status": credential.state,
        "creation": iso(credential.created),
        "expiration": iso(credential.expires),
        "lastUse": iso(credential.last_use),
        "ovhSupport": False,
    }


def details(call: Call) -> dict[str, Any]:
    """``GET /auth/details``: who is calling (the Terraform provider reads ``account``)."""
    credential = call.credential
    assert credential is not None
    nic = call.store.account.nichandle
    return {
        "account": nic,
        "allowedRoutes": credential.rules,
        "description": call.store.applications[credential.application_key].description,
        "identities": [f"urn:v1:eu:identity:account:{nic}"],
        "method": "account",
        "roles": [],
        "user": "",
    }


def logout(call: Call) -> None:
    """``POST /auth/logout``: the consumer key stops working."""
    assert call.credential is not None
    call.credential.state = "expired"
    call.credential.expires = call.now


def me(call: Call) -> dict[str, Any]:
    account = call.store.account
    return {
        "nichandle": account.nichandle,
        "firstname": account.firstname,
        "name": account.name,
        "email": account.email,
        "country": account.country,
        "ovhSubsidiary": account.ovh_subsidiary,
        "currency": {"code": "EUR", "symbol": "EURO"},
        "language": "en_GB",
        "legalform": "individual",
        "state": "complete",
        "kycValidated": True,
    }


def ensure_project(store: Store, now: float) -> Project:
    """Every account starts with one Public Cloud project, as after a first order."""
    with store.lock:
        if store.projects:
            return next(iter(store.projects.values()))
        project = Project(
            id=store.new_uuid().replace("-", ""),
            name="workshop",
            description="workshop",
            created=now,
        )
        store.projects[project.id] = project
        return project


def list_projects(call: Call) -> list[str]:
    return sorted(call.store.projects)


def get_project(call: Call) -> dict[str, Any]:
    project = lookup.project(call.store, call.params["serviceName"])
    return {
        "project_id": project.id,
        "projectName": project.name,
        "description": project.description,
        "status": "ok",
        "access": "full",
        "creationDate": iso(project.created),
        "planCode": "project.2018",
        "unleash": False,
        "manualQuota": False,
        "orderId": None,
        "expiration": None,
    }


ROUTES = [
    Route("GET", "/auth/time", auth_time, signed=False),
    Route("POST", "/auth/credential", request_credential, signed=False),
    Route("GET", "/auth/currentCredential", current_credential),
    Route("GET", "/auth/details", details),
    Route("POST", "/auth/logout", logout),
    Route("GET", "/me", me),
    Route("GET", "/cloud/project", list_projects),
    Route("GET", "/cloud/project/{serviceName}", get_project),
]
