"""What the local Stripe server adds to localstripe's routes, each as Stripe documents it (the module
devtools.stripe_local says which document): the request record, idempotent replays, the connected account of
each object, refund events, Connect's accounts and account links with a stand-in onboarding page, the
filtered balance transactions, and the test's controls for payouts, disputes and webhook endpoints."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from localstripe import resources, server

from devtools.stripe_local_base import (
    CONTROL_PREFIXES,
    _accounts,
    _error,
    _idempotent,
    _int,
    _lock,
    _object_account,
    _send,
    _webhooks,
    fixture,
    recorded,
)

# --- Middlewares: record, idempotency -----------------------------------------------------------------------


def _form(body: bytes, content_type: str) -> dict:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        try:
            return json.loads(body)
        except ValueError:
            return {}
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
