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
import os
import pickle
import threading
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

from devtools import stripe_local_routes as routes
from devtools.stripe_local_base import _accounts, _idempotent, _object_account, _webhooks, fixture, recorded

__all__ = ["LocalStripe", "app", "fixture", "recorded", "resources", "serve"]


def app() -> web.Application:
    application = server.app
    if not getattr(application, "_medspa_ready", False):
        middlewares = application.middlewares
        middlewares[middlewares.index(server.auth_middleware)] = routes.auth
        for middleware in (
            routes.refund_events,
            routes.accounts_of_objects,
            routes.idempotency,
            routes.record,
        ):
            middlewares.insert(0, middleware)
        router = application.router
        router.add_post("/v1/accounts", routes.account_create)
        router.add_get("/v1/accounts/{id}", routes.account_retrieve)
        router.add_post("/v1/account_links", routes.account_link_create)
        router.add_route("*", "/_connect/onboarding/{id}", routes.onboarding)
        router.add_post("/_test/payouts", routes.payout_create)
        router.add_post("/_test/disputes", routes.dispute_create)
        router.add_post("/_test/webhooks/{kind}", routes.webhook_endpoint)
        router.add_get("/_test/requests", routes.recorded_requests)
        # Ahead of localstripe's own route, which takes no filter: first in the router's list and in its
        # index by path (aiohttp resolves a plain path through the index, in the order routes were added).
        resource = router.add_resource("/v1/balance_transactions")
        resource.add_route("GET", routes.balance_transactions)
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
    """A middleware that writes everything the server knows to `path` after each write, before its
    answer leaves (a new file renamed over the old one): a server killed at any moment restarts knowing
    every object and idempotent answer up to its last write, as Stripe never forgets them."""

    @web.middleware
    async def keep_state(request: web.Request, handler):
        try:
            return await handler(request)  # the onboarding page answers with a redirect, raised
        finally:
            if request.method == "POST" and not request.path.startswith("/js.stripe.com/"):
                _state_write(path)

    return keep_state


def _state_write(path: Path) -> None:
    state = {
        "store": dict(resources.store),
        "idempotent": _idempotent,
        "accounts": _accounts,
        "object_account": _object_account,
    }
    written = path.with_suffix(".new")
    written.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(written, path)


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
