"""Fault drill: Stripe killed (kill -9) in the middle of a batch of card charges made at once.

The local Stripe server runs as a process of its own (`python -m devtools.stripe_local`), keeping what it
knows in a file after every write, before it answers, as Stripe keeps every object and every idempotent
answer: a restart then knows exactly what the killed server had done, so counting charges at the server means
something. Half the batch is charged; the server is then frozen (SIGSTOP), the other half asks (their rows
written, their requests hanging) and the server is killed with those requests in flight. The payments left
pending are sent again by the sweep, with their own keys, once the server is back. Every payment must end
paid exactly once: the payments recorded paid here equal the PaymentIntents succeeded at the server for them,
and none is doubled."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa.models.payments import CardPayment, SavedCard
from medspa.payments import balance, cards, charges, connect
from medspa.payments import client as stripe_client
from tests import factories
from tests.fixtures import stripe_js_confirm
from tests.stripe_contract import violations
from tests.test_faults import _answers, _free_port

pytestmark = pytest.mark.slow  # a server process started, frozen, killed and started again

ROOT = Path(__file__).resolve().parent.parent
BATCH, FIRST_WAVE = 20, 10


class StripeProcess:
    """The local Stripe server in a process of its own, on a free loopback port, its state in `state`."""

    def __init__(self, folder: Path):
        self.port, self.state = _free_port(), folder / "stripe-state.pickle"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.stripe_local",
                "--port",
                str(self.port),
                "--state",
                str(self.state),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not _answers("127.0.0.1", self.port):
            assert time.monotonic() < deadline and self.process.poll() is None, (
                "the Stripe server did not start"
            )
            time.sleep(0.05)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no clean-up of any kind
            self.process.wait()


@pytest.fixture
def stripe_process(tmp_path, settings, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = StripeProcess(tmp_path)
    server.start()
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_local", "pk_test_local"
    settings.STRIPE_API_URL = server.url
    yield server
    server.kill()


def _card(server: StripeProcess, cast) -> SavedCard:
    """Medspa A connected and onboarded, and a patient's Visa on file, through the product's own calls."""
    medspa = cast.medspa_a
    url = connect.account_connect(
        medspa=medspa, by=cast.admin_a, account_type="standard",
        return_url="http://127.0.0.1/return", refresh_url="http://127.0.0.1/refresh",
    )  # fmt: skip
    requests.post(url, allow_redirects=False, timeout=10)
    assert connect.account_refresh(medspa=medspa).charges_enabled
    customer = cards.customer_for(medspa=medspa, patient=factories.PatientFactory(medspa=medspa))
    setup = cards.card_setup_start(customer=customer)
    stripe_js_confirm(server, setup)
    return cards.card_save(customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.ONLINE)


def _wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited too long for {what}"
        time.sleep(0.01)


def _intents_at_stripe(account: str) -> list[dict]:
    """Every PaymentIntent the server knows, page after page."""
    found, params = [], {"limit": 100}
    while True:
        page = stripe_client.client().v1.payment_intents.list(params, stripe_client.options(account=account))
        found += [intent.to_dict() for intent in page.data]
        if not page.has_more:
            return found
        params["starting_after"] = found[-1]["id"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.scopes_disabled(reason="twenty threads, each its own connection, charge cards of medspa A")
def test_stripe_killed_mid_batch_then_back_charges_every_payment_exactly_once(stripe_process, cast):
    card = _card(stripe_process, cast)
    keys = [f"drill-{n}" for n in range(BATCH)]
    outcomes: list[str] = []
    frozen = threading.Event()

    def charge(n: int) -> None:
        if n >= FIRST_WAVE:
            frozen.wait(60)  # the second half of the batch asks while Stripe hangs
        try:
            with scopes_disabled():
                charges.card_charge(
                    medspa=card.medspa, purpose=CardPayment.Purpose.CHECKOUT, amount=Decimal("20.00") + n,
                    card=card, description="Visit", idempotency_key=keys[n],
                )  # fmt: skip
            outcomes.append("paid")
        except stripe_client.StripeUnavailable:
            outcomes.append("unavailable")
        except Exception as error:  # noqa: BLE001 (anything else is the drill's failure, told below)
            outcomes.append(repr(error))
        finally:
            connection.close()

    ours = CardPayment.objects.filter(idempotency_key__in=keys)
    threads = [threading.Thread(target=charge, args=(n,)) for n in range(BATCH)]
    for thread in threads:
        thread.start()
    _wait_for(lambda: outcomes.count("paid") == FIRST_WAVE, f"the first half of the batch {outcomes}")
    stripe_process.freeze()  # SIGSTOP: what is asked now hangs in the middle of its request
    frozen.set()
    _wait_for(lambda: ours.count() == BATCH, "every payment's row")  # each written before its call
    stripe_process.kill()  # kill -9 with those requests in flight
    for thread in threads:
        thread.join(120)
    assert Counter(outcomes) == {"paid": FIRST_WAVE, "unavailable": BATCH - FIRST_WAVE}, outcomes
    assert ours.filter(status=CardPayment.Status.PENDING).count() == BATCH - FIRST_WAVE
    assert ours.filter(status=CardPayment.Status.SUCCEEDED).count() == FIRST_WAVE

    stripe_process.start()  # the same port and state file: what the killed server did, it still knows
    ours.filter(status=CardPayment.Status.PENDING).update(created_at=timezone.now() - timedelta(minutes=5))
    assert charges.pending_payments_resend() == BATCH - FIRST_WAVE

    payments = {str(p.pk): p for p in ours.all()}
    assert {p.status for p in payments.values()} == {CardPayment.Status.SUCCEEDED}
    at_stripe = [
        i
        for i in _intents_at_stripe(card.customer.account_id)
        if i["metadata"].get("card_payment") in payments
    ]
    per_payment = Counter(i["metadata"]["card_payment"] for i in at_stripe)
    assert per_payment == Counter(dict.fromkeys(payments, 1))  # one PaymentIntent each: none doubled
    assert {i["status"] for i in at_stripe} == {"succeeded"}
    assert {i["id"] for i in at_stripe} == {p.payment_intent_id for p in payments.values()}
    assert sorted(i["amount"] for i in at_stripe) == sorted(int(p.amount * 100) for p in payments.values())

    # Fees that the kill kept from being learned are learned by the sweep; Stripe's and ours then agree.
    balance.card_fees_sweep(now=timezone.now() + timedelta(hours=1))
    # The restarted server's record of what the product asked of it: all in Stripe's specification.
    assert not violations(requests.get(f"{stripe_process.url}/_test/requests", timeout=10).json())
    assert [
        (p.amount, p.fee, p.net)
        for p in ours.all()
        if p.fee != stripe_fee(p.amount) or p.net != p.amount - p.fee
    ] == []


def stripe_fee(amount: Decimal) -> Decimal:
    """Stripe's US card price: 2.9% (to the nearest cent, half up) + 30¢."""
    return (amount * Decimal("0.029")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) + Decimal("0.30")
