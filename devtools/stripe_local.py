"""The local Stripe-compatible server for development runs and tests: localstripe
(https://github.com/adrienverge/localstripe, the `localstripe` package), on loopback, with what it lacks
added from Stripe's own documents (medspa/tests/stripe_docs/: the published OpenAPI specification's
operations and its example objects).

localstripe answers the Payments API (customers, SetupIntents, PaymentMethods, PaymentIntents, refunds,
balance transactions) and serves a Stripe.js stand-in at /js.stripe.com/v3/. Added here, as Stripe documents
them:
- Idempotent requests (https://docs.stripe.com/api/idempotent_requests): a POST repeated with its
  Idempotency-Key returns the first answer (with `Idempotent-Replayed: true`); the key with other parameters
  is refused (400, `idempotency_error`). Keys are per account (Stripe-Account).
- Errors typed as Stripe types them (https://docs.stripe.com/api/errors): a declined card is a 402
  `card_error`, an unknown object a 404 `resource_missing`.
- Connect (https://docs.stripe.com/api/accounts, /api/account_links): POST /v1/accounts, GET
  /v1/accounts/{id}, POST /v1/account_links; the onboarding link opens a local page standing in for Stripe's
  hosted onboarding, whose button enables the account and sends `account.updated`.
- Processing fees as Stripe prices US cards (2.9% + 30¢, https://stripe.com/pricing) on each charge's
  balance transaction, and the list filters of GET /v1/balance_transactions (created, payout, type).
- Payouts and disputes, which localstripe cannot make: POST /_test/payouts pays out the available balance
  (in USD, linking each balance transaction to the payout) and sends `payout.paid`; POST /_test/disputes
  disputes a charge and sends `charge.dispute.created`. Like localstripe's own /_config/ routes, these are
  the test's controls, not Stripe's API.
- Events name their connected account (`account`) and go to the Connect endpoint; the platform's own go
  to the platform endpoint, as Stripe sends them (https://docs.stripe.com/connect/webhooks).

Every request the product makes is recorded (`recorded`, or GET /_test/requests) for the contract test,
which checks each against the specification.

Nothing here is imported by the product; `manage.py stripe_local` starts it for `make run`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import ClientSession, web
from localstripe import errors as ls_errors
from localstripe import resources, server, webhooks

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parent.parent / "medspa" / "tests" / "stripe_docs"
FEE_PERCENT, FEE_FIXED = 29, 30  # per mille and cents: 2.9% + 30¢
CONTROL_PREFIXES = ("/_test/", "/_config/", "/_connect/", "/js.stripe.com/")

recorded: list[dict] = []  # every /v1/ request: method, path, query, form, headers, status, by
_idempotent: dict[tuple[str, str], tuple[str, int, bytes]] = {}
_accounts: dict[str, dict] = {}
_object_account: dict[str, str] = {}  # object id -> the connected account it was made on
_webhooks: dict[str, tuple[str, str]] = {}  # "platform" / "connect" -> (url, secret)
_lock = threading.Lock()


def fixture(name: str) -> dict:
    """Stripe's example object of a resource (medspa/tests/stripe_docs/fixtures.json)."""
    return json.loads(json.dumps(json.loads((DOCS / "fixtures.json").read_text())["resources"][name]))


# --- localstripe, adjusted ----------------------------------------------------------------------------------


def _no_disk(*args, **kwargs) -> None:
    """localstripe pickles its store to one shared file after every write; each server here keeps its own."""


resources.Store.dump_to_disk = _no_disk
resources.Store.try_load_from_disk = _no_disk

_user_error_init = ls_errors.UserError.__init__


def _typed_error_init(self, code, message=None, contents=None):
    _user_error_init(self, code, message, contents)
    if code == 402:
        self.body["error"]["type"] = "card_error"
        self.body["error"].setdefault("decline_code", "generic_decline")
    elif code == 404:
        self.body["error"].setdefault("code", "resource_missing")


ls_errors.UserError.__init__ = _typed_error_init

_txn_init = resources.BalanceTransaction.__init__


def _txn_with_fee(self, *args, **kwargs):
    _txn_init(self, *args, **kwargs)
    if self.type == "charge" and self.amount > 0:
        self.fee = (self.amount * FEE_PERCENT + 500) // 1000 + FEE_FIXED
        self.fee_details = [
            {
                "amount": self.fee,
                "application": None,
                "currency": self.currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
    self.payout = None
    self.status = "available"


resources.BalanceTransaction.__init__ = _txn_with_fee
resources.BalanceTransaction.net = property(lambda self: self.amount - self.fee)


async def _send(event_type: str, data: dict, *, account: str | None = None) -> None:
    """One event, signed with Stripe's scheme (https://docs.stripe.com/webhooks#verify-manually): the
    Stripe-Signature header `t=<time>,v1=<HMAC-SHA256 of "<time>.<payload>">`. Sent a moment later, as
    Stripe sends events after its answer; the object's account is looked up then (it is known once the
    request that made the object has answered)."""
    await asyncio.sleep(0.05)
    account = (
        account or _object_account.get(data.get("id", "")) or _object_account.get(data.get("charge") or "")
    )
    endpoint = _webhooks.get("connect" if account else "platform")
    if endpoint is None:
        return
    url, secret = endpoint
    event = {
        "id": "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2020-08-27",
        "created": int(time.time()),
        "data": {"object": data},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account:
        event["account"] = account
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(secret.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={stamp},v1={signature}",
    }
    try:
        async with ClientSession() as session, session.post(url, data=payload, headers=headers) as answer:
            logger.info("Event %s (%s) delivered: %s", event["id"], event_type, answer.status)
    except Exception as error:  # the product is down: Stripe would retry later; here it is logged
        logger.info("Event %s (%s) not delivered: %s", event["id"], event_type, error)


def _schedule(event) -> None:
    asyncio.ensure_future(_send(event.type, event.data["object"]))


webhooks.schedule_webhook = _schedule
resources.schedule_webhook = _schedule


# --- Middlewares: record, idempotency -----------------------------------------------------------------------


def _form(body: bytes, content_type: str) -> dict:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        try:
            return json.loads(body)
        except ValueError:
            return {}
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body.decode(), keep_blank_values=True))


@web.middleware
async def record(request: web.Request, handler):
    if not request.path.startswith("/v1/"):
        return await handler(request)
    body = await request.read()
    entry = {
        "method": request.method,
        "path": request.path,
        "query": list(request.query.items()),
        "form": _form(body, request.content_type),
        "headers": {
            name: request.headers[name]
            for name in (
                "Authorization",
                "Stripe-Account",
                "Idempotency-Key",
                "Stripe-Version",
                "Content-Type",
            )
            if name in request.headers
        },
        # Stripe.js, in the patient's browser, authenticates with the publishable key in its body.
        "by": "server"
        if request.headers.get("Authorization", "").startswith(("Bearer sk_", "Basic"))
        else "browser",
    }
    response = await handler(request)
    entry["status"] = response.status
    with _lock:
        recorded.append(entry)
    return response


@web.middleware
async def idempotency(request: web.Request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    body = await request.read()
    fingerprint = hashlib.sha256(request.path.encode() + b"?" + body).hexdigest()
    slot = (request.headers.get("Stripe-Account", ""), key)
    seen = _idempotent.get(slot)
    if seen is not None:
        if seen[0] != fingerprint:
            return server.json_response(
                {
                    "error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you meant to "
                        "execute a different request.",
                    }
                },
                status=400,
            )
        return web.Response(
            status=seen[1],
            body=seen[2],
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        response = await handler(request)
    except web.HTTPException:
        raise
    if response.status < 500 and isinstance(response, web.Response) and response.body is not None:
        _idempotent[slot] = (fingerprint, response.status, bytes(response.body))
    return response


@web.middleware
async def accounts_of_objects(request: web.Request, handler):
    """Remembers the connected account each object was made on (Stripe-Account), for its events."""
    response = await handler(request)
    account = request.headers.get("Stripe-Account")
    if account and request.method == "POST" and isinstance(response, web.Response) and response.body:
        try:
            made = json.loads(bytes(response.body))
        except ValueError:
            return response
        for name in ("id", "latest_charge", "charge"):
            value = made.get(name)
            if isinstance(value, str):
                _object_account[value] = account
            elif isinstance(value, dict) and "id" in value:
                _object_account[value["id"]] = account
    return response


@web.middleware
async def auth(request: web.Request, handler):
    """localstripe's authentication, but for the test's own controls (which, like /_config/, need none)."""
    if request.path.startswith(CONTROL_PREFIXES):
        return await handler(request)
    return await server.auth_middleware(request, handler)


@web.middleware
async def refund_events(request: web.Request, handler):
    """charge.refunded after a refund, which localstripe does not send."""
    response = await handler(request)
    if request.method == "POST" and request.path == "/v1/refunds" and response.status == 200:
        refund = json.loads(bytes(response.body))
        charge = resources.Charge._api_retrieve(refund["charge"])
        if request.headers.get("Stripe-Account"):
            _object_account[charge.id] = request.headers["Stripe-Account"]
        asyncio.ensure_future(_send("charge.refunded", charge._export()))
    return response


# --- Connect ------------------------------------------------------------------------------------------------


def _error(status: int, message: str, **more) -> web.Response:
    return server.json_response(
        {"error": {"type": "invalid_request_error", "message": message, **more}}, status=status
    )


async def account_create(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    if data.get("type") not in ("standard", "express", "custom"):
        return _error(400, "Missing required param: type.", param="type")
    account = fixture("account")
    account.update(
        id="acct_" + secrets.token_hex(8),
        type=data["type"],
        email=data.get("email"),
        country=data.get("country", "US"),
        default_currency="usd",
        created=int(time.time()),
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        metadata=data.get("metadata") or {},
    )
    account["business_profile"] = {
        **(account.get("business_profile") or {}),
        **(data.get("business_profile") or {}),
    }
    _accounts[account["id"]] = account
    return server.json_response(account)


def account_retrieve(request: web.Request) -> web.Response:
    account = _accounts.get(request.match_info["id"])
    if account is None:
        return _error(
            404, f"No such account: '{request.match_info['id']}'", code="resource_missing", param="account"
        )
    return server.json_response(account)


async def account_link_create(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    for name in ("account", "type"):
        if not data.get(name):
            return _error(400, f"Missing required param: {name}.", param=name)
    if data["account"] not in _accounts:
        return _error(404, f"No such account: '{data['account']}'", code="resource_missing", param="account")
    query = urlencode({"return_url": data.get("return_url", ""), "refresh_url": data.get("refresh_url", "")})
    now = int(time.time())
    return server.json_response(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{request.scheme}://{request.host}/_connect/onboarding/{data['account']}?{query}",
        }
    )


ONBOARDING_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Stripe onboarding (local)</title></head>
<body><h1>Stripe onboarding (local stand-in)</h1><p>Account {account}. No business details are asked here:
the button finishes onboarding as Stripe's hosted page would.</p>
<form method="post"><button type="submit">Finish onboarding</button></form></body></html>"""


async def onboarding(request: web.Request) -> web.Response:
    account = _accounts.get(request.match_info["id"])
    if account is None:
        return web.Response(status=404, text="No such account")
    if request.method == "GET":
        return web.Response(text=ONBOARDING_PAGE.format(account=account["id"]), content_type="text/html")
    account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    await _send("account.updated", account, account=account["id"])
    raise web.HTTPFound(request.query.get("return_url") or "/")


# --- Balance transactions, payouts, disputes ----------------------------------------------------------------


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def balance_transactions(request: web.Request) -> web.Response:
    """GET /v1/balance_transactions of the account (Stripe-Account) with its documented filters:
    created[gte|gt|lte|lt], payout, type, limit, starting_after; newest first."""
    query = request.query
    account = request.headers.get("Stripe-Account") or None  # each account lists its own, as at Stripe
    rows = [
        obj
        for key, obj in resources.store.items()
        if key.startswith("balance_transaction:") and _object_account.get(obj.source) == account
    ]
    bounds = {op: _int(query.get(f"created[{op}]")) for op in ("gte", "gt", "lte", "lt")}
    rows = [
        row
        for row in rows
        if (bounds["gte"] is None or row.created >= bounds["gte"])
        and (bounds["gt"] is None or row.created > bounds["gt"])
        and (bounds["lte"] is None or row.created <= bounds["lte"])
        and (bounds["lt"] is None or row.created < bounds["lt"])
        and (not query.get("payout") or row.payout == query["payout"])
        and (not query.get("type") or row.type == query["type"])
    ]
    rows.sort(key=lambda row: (row.created, row.id), reverse=True)
    if query.get("starting_after"):
        ids = [row.id for row in rows]
        if query["starting_after"] in ids:
            rows = rows[ids.index(query["starting_after"]) + 1 :]
    limit = max(1, min(_int(query.get("limit"), 10), 100))
    page = rows[:limit]
    return server.json_response(
        {
            "object": "list",
            "url": "/v1/balance_transactions",
            "has_more": len(rows) > limit,
            "data": [{**row._export(), "payout": row.payout} for row in page],
        }
    )


async def payout_create(request: web.Request) -> web.Response:
    """Pays out every available balance transaction not paid out yet, on one account (`account`, empty for
    the platform), and sends payout.paid."""
    data = await server.get_post_data(request) or {}
    account = data.get("account") or None
    rows = [
        obj
        for key, obj in resources.store.items()
        if key.startswith("balance_transaction:")
        and obj.payout is None
        and _object_account.get(obj.source) == account
    ]
    payout = fixture("payout")
    now = int(time.time())
    payout.update(
        id="po_" + secrets.token_hex(8),
        amount=sum(row.net for row in rows),
        currency="usd",
        created=now,
        arrival_date=now,
        status="paid",
        automatic=True,
        balance_transaction="txn_" + secrets.token_hex(8),
    )
    for row in rows:
        row.payout = payout["id"]
    if account:
        _object_account[payout["id"]] = account
    await _send("payout.paid", payout, account=account)
    return server.json_response(payout)


async def dispute_create(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    charge = resources.Charge._api_retrieve(data.get("charge", ""))
    dispute = fixture("dispute")
    now = int(time.time())
    dispute.update(
        id="dp_" + secrets.token_hex(8),
        amount=_int(data.get("amount"), charge.amount),
        charge=charge.id,
        payment_intent=charge.payment_intent,
        currency=charge.currency,
        created=now,
        reason=data.get("reason", "fraudulent"),
        status="needs_response",
    )
    # Evidence is due days after the dispute, not on the example object's fixed date.
    dispute["evidence_details"] = {**(dispute.get("evidence_details") or {}), "due_by": now + 7 * 86400}
    await _send("charge.dispute.created", dispute, account=_object_account.get(charge.id))
    return server.json_response(dispute)


async def webhook_endpoint(request: web.Request) -> web.Response:
    """Where events go: POST /_test/webhooks/{platform|connect} with url and secret."""
    data = await server.get_post_data(request) or {}
    _webhooks[request.match_info["kind"]] = (data["url"], data["secret"])
    return web.Response()


def recorded_requests(request: web.Request) -> web.Response:
    return server.json_response(recorded)


def app() -> web.Application:
    application = server.app
    if not getattr(application, "_medspa_ready", False):
        middlewares = application.middlewares
        middlewares[middlewares.index(server.auth_middleware)] = auth
        for middleware in (refund_events, accounts_of_objects, idempotency, record):
            middlewares.insert(0, middleware)
        router = application.router
        router.add_post("/v1/accounts", account_create)
        router.add_get("/v1/accounts/{id}", account_retrieve)
        router.add_post("/v1/account_links", account_link_create)
        router.add_route("*", "/_connect/onboarding/{id}", onboarding)
        router.add_post("/_test/payouts", payout_create)
        router.add_post("/_test/disputes", dispute_create)
        router.add_post("/_test/webhooks/{kind}", webhook_endpoint)
        router.add_get("/_test/requests", recorded_requests)
        # Ahead of localstripe's own route, which takes no filter: first in the router's list and in its
        # index by path (aiohttp resolves a plain path through the index, in the order routes were added).
        resource = router.add_resource("/v1/balance_transactions")
        resource.add_route("GET", balance_transactions)
        router._resources.insert(0, router._resources.pop())  # noqa: SLF001
        same_path = router._resource_index[resource.canonical]  # noqa: SLF001
        same_path.insert(0, same_path.pop(same_path.index(resource)))
        application._medspa_ready = True
    return application


class LocalStripe:
    """The server in a thread of this process, on 127.0.0.1 and a free port (tests)."""

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalStripe:
        threading.Thread(target=self._run, name="local-stripe", daemon=True).start()
        if not self._ready.wait(15):
            raise RuntimeError("The local Stripe server did not start.")
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        self._ready.set()
        self._loop.run_forever()

    def webhooks(
        self, *, platform: tuple[str, str] | None = None, connect: tuple[str, str] | None = None
    ) -> None:
        """Where the server sends its events: (url, signing secret) of each endpoint; None stops sending."""
        for kind, endpoint in (("platform", platform), ("connect", connect)):
            if endpoint is None:
                _webhooks.pop(kind, None)
            else:
                _webhooks[kind] = endpoint

    def call(self, coroutine):
        """Runs a coroutine of this module (an event, a payout) on the server's loop and waits for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(15)


def _state_kept_in(path: Path):
    """A middleware that writes everything the server knows to `path` after each /v1/ write, before its
    answer leaves (a new file renamed over the old one): a server killed at any moment restarts knowing
    every object and idempotent answer up to its last write, as Stripe never forgets them."""

    @web.middleware
    async def keep_state(request: web.Request, handler):
        response = await handler(request)
        if request.method == "POST" and request.path.startswith("/v1/"):
            state = {
                "store": dict(resources.store),
                "idempotent": _idempotent,
                "accounts": _accounts,
                "object_account": _object_account,
            }
            written = path.with_suffix(".new")
            written.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(written, path)
        return response

    return keep_state


def _state_load(path: Path) -> None:
    if not path.exists():
        return
    state = pickle.loads(path.read_bytes())  # noqa: S301 (the server's own file)
    dict.update(resources.store, state["store"])
    _idempotent.update(state["idempotent"])
    _accounts.update(state["accounts"])
    _object_account.update(state["object_account"])


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8420,
    platform: tuple[str, str] | None = None,
    connect: tuple[str, str] | None = None,
    state: Path | None = None,
) -> None:
    """Runs the server in the foreground (`python -m devtools.stripe_local`). With `state`, a file, what it
    knows survives a restart, even a kill -9 (the fault drills)."""
    for kind, endpoint in (("platform", platform), ("connect", connect)):
        if endpoint:
            _webhooks[kind] = endpoint
    application = app()
    if state is not None:
        _state_load(state)
        application.middlewares.insert(0, _state_kept_in(state))
    web.run_app(application, host=host, port=port, access_log=None, print=lambda *args: None)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The local Stripe-compatible server.")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, help="a file keeping what the server knows across restarts")
    arguments = parser.parse_args()
    serve(port=arguments.port, state=arguments.state)
