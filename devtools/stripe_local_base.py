"""The local Stripe server's ground (devtools.stripe_local): localstripe adjusted to answer as Stripe
documents (typed errors, US card fees on balance transactions, no shared pickle file), the state the
additions keep (connected accounts, which account made each object, idempotent answers, the requests
recorded), and the events sent to the product's webhook endpoints, signed with Stripe's scheme."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from pathlib import Path

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


def _error(status: int, message: str, **more) -> web.Response:
    return server.json_response(
        {"error": {"type": "invalid_request_error", "message": message, **more}}, status=status
    )


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
