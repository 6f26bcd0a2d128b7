"""The two web pages of the API: creating an application, validating a consumer key.

On the real service both sit behind the account's login (``/createApp/`` and the
``validationUrl`` that ``POST /auth/credential`` returns). Here the learner is the only
account, on loopback, so the pages only ask for what the real ones ask beyond the login:
a name for the application; a validity and a click for the consumer key. Each page also
answers JSON (``Accept: application/json``), which ``workshop cloud credentials`` uses.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from workshop.cloud import auth, protocol, validation
from workshop.cloud.protocol import Request, Response, json_response
from workshop.cloud.store import Application, Store, token

APPLICATION_KEY_LENGTH = 16
APPLICATION_SECRET_LENGTH = 32
VALIDITIES = {"1 day": 86400, "1 month": 30 * 86400, "Unlimited": 0}
MAX_VALIDITY = 10 * 365 * 86400
MAX_TEXT = 256
HTML = "text/html; charset=utf-8"


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}"
        "code{background:#eee;padding:.1em .3em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}"
        "<p><small>Emulated OVHcloud API of the Kubernetes workshop.</small></p></body></html>"
    )
    return Response(status, text.encode(), content_type=HTML)


def _form(request: Request) -> dict[str, str]:
    """The posted fields, from JSON or a web form; anything else is the client's error."""
    if "json" in (request.header("content-type") or ""):
        data = validation.parse(request.body)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise protocol.bad_request("Invalid body: a JSON object is expected")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}


def _error(request: Request, status: int, message: str) -> Response:
    """Errors answer in the API's JSON shape, for a browser too (it shows JSON readably)."""
    return protocol.ApiError(
        status, message, error_class=protocol.HTTP_CLASSES.get(status, "Client::BadRequest")
    ).response()


def create_app(store: Store, request: Request) -> Response:
    """``/createApp/``: a form, then the new application's key and secret."""
    if request.method == "GET":
        return _page(
            "Create an application",
            "<form method='post'><p><label>Application name "
            "<input name='applicationName' required></label></p>"
            "<p><label>Application description "
            "<input name='applicationDescription' required></label></p>"
            "<p><button>Create keys</button></p></form>",
        )
    form = _form(request)
    name = form.get("applicationName", "").strip()
    if not name:
        return _error(request, 400, "applicationName is required")
    if len(name) > MAX_TEXT or len(form.get("applicationDescription", "")) > MAX_TEXT:
        return _error(
            request, 400, f"applicationName and applicationDescription take {MAX_TEXT} characters"
        )
    with store.lock:
        application = Application(
            key=token(APPLICATION_KEY_LENGTH),
            secret=token(APPLICATION_SECRET_LENGTH),
            id=store.new_number(),
            name=name,
            description=form.get("applicationDescription", "").strip() or name,
        )
        store.applications[application.key] = application
        store.save()
    if request.wants_json():
        return json_response(
            {
                "applicationId": application.id,
                "applicationKey": application.key,
                "applicationSecret": application.secret,
            }
        )
    return _page(
        "Your application keys",
        f"<p>Application name: {html.escape(application.name)}</p>"
        f"<p>Application key: <code>{application.key}</code></p>"
        f"<p>Application secret: <code>{application.secret}</code></p>"
        "<p>Keep the secret out of notebooks and repositories.</p>",
    )


def validate(store: Store, request: Request) -> Response:
    """The ``validationUrl`` page: shows the access rules, then validates the key."""
    form: dict[str, Any] = dict(request.query) if request.method == "GET" else _form(request)
    given = str(form.get("credentialToken", ""))
    with store.lock:
        credential = next((c for c in store.credentials.values() if c.token == given), None)
        if credential is None or not given:
            return _error(request, 404, "This credential request does not exist")
        application = store.applications[credential.application_key]
        if credential.state != "pendingValidation":
            return _error(request, 400, f"This credential is already {credential.state}")
        if request.method == "GET":
            rules = "".join(
                f"<li><code>{html.escape(r['method'])} {html.escape(r['path'])}</code></li>"
                for r in credential.rules
            )
            options = "".join(f"<option value='{v}'>{k}</option>" for k, v in VALIDITIES.items())
            return _page(
                f"Authorize {application.name}",
                f"<p>{html.escape(application.name)} asks for access to "
                f"account {html.escape(store.account.nichandle)}:</p><ul>{rules}</ul>"
                "<form method='post'>"
                f"<input type='hidden' name='credentialToken' value='{html.escape(given)}'>"
                f"<p><label>Validity <select name='validity'>{options}</select></label></p>"
                "<p><button name='action' value='authorize'>Authorize</button> "
                "<button name='action' value='refuse'>Refuse</button></p></form>",
            )
        try:
            validity = int(form.get("validity", "0"))
        except ValueError:
            validity = -1
        if not 0 <= validity <= MAX_VALIDITY:
            return _error(
                request, 400, "validity must be a number of seconds up to ten years (0: unlimited)"
            )
        if form.get("action", "authorize") == "refuse":
            credential.state = "refused"
        else:
            credential.state = "validated"
            credential.validated = request.now
            credential.expires = request.now + validity if validity > 0 else None
        auth.refresh(credential, request.now)
        store.save()
        state, redirection = credential.state, credential.redirection
    if request.wants_json():
        return json_response({"state": state})
    if redirection and state == "validated":
        return Response(303, b"", content_type=HTML, headers=(("Location", redirection),))
    return _page("Done", f"<p>The consumer key is {state}. You can close this page.</p>")
