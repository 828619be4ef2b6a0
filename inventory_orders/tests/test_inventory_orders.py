"""Inventory ordering at the service layer: prices per business model, a model change that reprices the
cart in its own transaction, checkout that re-verifies every price, idempotent submit (also under a
concurrent double submit), the review paths with their emails, cancellation, delivery dates."""

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django_scopes import scopes_disabled

from inventory_orders.models import Order, OrderEvent, OrderStatus, PricingIssue
from inventory_orders.services import cart as inventory_cart
from inventory_orders.services import emails, orders, pricing
from inventory_orders.services import rules as inventory_rules
from inventory_orders.services.errors import OrderingRefused, PricesChanged
from inventory_orders.services.orders import LineChange
from medspa.models.tenancy import BusinessModel
from medspa.services import accounts as medspa_services
from medspa.tenancy import medspa_scope
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    return factories.catalog_world()


@pytest.fixture
def medspa(cast):
    return factories.shipping_address(cast.medspa_a)  # Launch


def a_weekday(days_ahead=14) -> date:
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def submit(medspa, user, key=None, **kwargs):
    options = {"delivery_date": a_weekday(), "payment_method": "card", "notes": "", **kwargs}
    return orders.order_submit(medspa=medspa, by=user, idempotency_key=key or uuid.uuid4().hex, **options)


class TestPricing:
    def test_each_model_has_its_price_and_launch_is_never_below_flex(self, catalog):
        toxin = catalog.toxin
        assert [toxin.price_for(m) for m in ("legacy", "launch", "flex")] == [
            Decimal("612"),
            Decimal("589"),
            Decimal("579"),
        ]
        toxin.price_flex = Decimal("600")
        with pytest.raises(Exception, match="catalog_launch_not_below_flex"), transaction.atomic():
            toxin.save()

    def test_the_cart_takes_the_medspas_model_price(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            cart = inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
            line = cart.lines.get()
            assert (line.unit_price, line.priced_for) == (Decimal("589.00"), BusinessModel.LAUNCH)
        with medspa_scope(cast.medspa_b):
            flex_cart = inventory_cart.cart_line_set(medspa=cast.medspa_b, product=catalog.toxin, quantity=2)
            assert flex_cart.lines.get().unit_price == Decimal("579.00")

    def test_a_legacy_medspa_does_not_order(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            medspa.business_model = BusinessModel.LEGACY
            medspa.save()
            with pytest.raises(OrderingRefused, match="Launch and Flex"):
                inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)


class TestNeverStale:
    def test_a_model_change_reprices_the_cart_in_the_same_transaction(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.gloves, quantity=5)
            with transaction.atomic():
                medspa_services.medspa_business_model_set(
                    medspa=medspa, business_model=BusinessModel.FLEX, flex_revenue_split_percent=Decimal("20")
                )
                # Inside the transaction that changed the model, before it commits, the cart already agrees.
                prices = dict(inventory_cart.cart_of(medspa).lines.values_list("product__sku", "unit_price"))
                assert prices == {"T-100": Decimal("579.00"), "G-1": Decimal("12.40")}
            order = submit(medspa, cast.admin_a)
            assert order.business_model == BusinessModel.FLEX
            assert sorted(order.lines.values_list("unit_price", flat=True)) == [
                Decimal("12.40"),
                Decimal("579.00"),
            ]
            assert order.total == Decimal("2") * 579 + Decimal("5") * Decimal("12.40")

    def test_a_model_change_in_django_admin_reprices_too(self, cast, client_as, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            response = client_as("staff").post(
                f"/admin/medspa/medspa/{medspa.pk}/change/",
                {"name": medspa.name, "slug": medspa.slug, "time_zone": medspa.time_zone, "dba": "",
                 "business_model": "flex", "flex_revenue_split_percent": "15",
                 "shipping_line1": "2150 Fifth Ave",
                 "shipping_city": "San Diego", "shipping_state": "CA", "shipping_postal_code": "92101",
                 "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
            )  # fmt: skip
            assert response.status_code == 302, response.content.decode()[:2000]
            assert inventory_cart.cart_of(medspa).lines.get().unit_price == Decimal("579.00")

    def test_any_save_that_changes_the_model_reprices_and_one_of_other_fields_does_not(self, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            catalog.toxin.price_launch = Decimal("595.00")
            catalog.toxin.save()
            medspa.refresh_from_db()
            medspa.dba = "Glow"
            medspa.save()  # the plan is unchanged: the cart keeps the price it was shown at
            assert inventory_cart.cart_of(medspa).lines.get().unit_price == Decimal("589.00")
            medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, Decimal("15")
            medspa.save()  # whatever path saves a new model (here neither the service nor the admin)
            line = inventory_cart.cart_of(medspa).lines.get()
            assert (line.unit_price, line.priced_for) == (Decimal("579.00"), BusinessModel.FLEX)

    def test_checkout_re_verifies_and_orders_nothing_when_a_price_moved(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
            catalog.toxin.price_launch = Decimal("595.00")
            catalog.toxin.save()
            with pytest.raises(PricesChanged) as changed:
                submit(medspa, cast.admin_a, key="k1")
            [change] = changed.value.changes
            assert (change.was, change.now) == (Decimal("589.00"), Decimal("595.00"))
            assert not Order.objects.exists()
            order = submit(medspa, cast.admin_a, key="k1")  # the admin saw the new price and submits again
            assert order.lines.get().unit_price == Decimal("595.00") and order.total == Decimal("1190.00")

    def test_a_product_withdrawn_since_is_taken_out_and_reported(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.gloves, quantity=1)
            catalog.gloves.is_available = False
            catalog.gloves.save()
            with pytest.raises(PricesChanged) as changed:
                submit(medspa, cast.admin_a)
            assert changed.value.changes[0].now is None
            assert submit(medspa, cast.admin_a).lines.count() == 1


class TestSubmit:
    def test_the_order_keeps_its_prices_and_address_and_empties_the_cart(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=3)
            order = submit(medspa, cast.admin_a, notes="Leave at reception")
            line = order.lines.get()
            assert (line.quantity, line.unit_price, line.market_price) == (
                3,
                Decimal("589.00"),
                Decimal("650.00"),
            )
            assert "2150 Fifth Ave" in order.ship_to and order.status == OrderStatus.SUBMITTED
            assert not inventory_cart.cart_of(medspa).lines.exists()
            catalog.toxin.price_launch = Decimal("600")
            catalog.toxin.save()
            assert order.lines.get().unit_price == Decimal("589.00")

    def test_the_same_key_twice_makes_one_order(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            first = submit(medspa, cast.admin_a, key="same")
            assert submit(medspa, cast.admin_a, key="same").pk == first.pk
            assert Order.objects.count() == 1

    @pytest.mark.parametrize(("days_from_today", "message"), [(-1, "in the past"), (0, "earliest delivery")])
    def test_delivery_date_rules(self, cast, medspa, catalog, days_from_today, message):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            day = factories.medspa_today(medspa) + timedelta(days=days_from_today)
            with pytest.raises(OrderingRefused, match=message):
                submit(medspa, cast.admin_a, delivery_date=day)

    def test_no_weekend_delivery_unless_the_rules_allow_it(self, cast, medspa, catalog):
        with medspa_scope(medspa):
            saturday = a_weekday() + timedelta(days=(5 - a_weekday().weekday()) % 7)
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            with pytest.raises(OrderingRefused, match="weekends"):
                submit(medspa, cast.admin_a, delivery_date=saturday)
            rules = inventory_rules.ordering_rules()
            rules.weekend_delivery = True
            rules.save()
            assert submit(medspa, cast.admin_a, delivery_date=saturday).delivery_date == saturday

    def test_the_earliest_delivery_skips_weekends(self):
        friday = date(2026, 11, 27)
        assert inventory_rules.earliest_delivery(friday) == date(2026, 12, 2)  # Mon, Tue, Wed

    def test_no_address_no_order(self, cast, catalog):
        with medspa_scope(cast.medspa_a):
            inventory_cart.cart_line_set(medspa=cast.medspa_a, product=catalog.toxin, quantity=1)
            with pytest.raises(OrderingRefused, match="shipping address"):
                submit(cast.medspa_a, cast.admin_a)


@pytest.mark.django_db(transaction=True)
def test_a_bare_save_of_a_new_model_outside_any_transaction_reprices_the_cart(cast, catalog):
    with medspa_scope(cast.medspa_a):
        medspa = cast.medspa_a  # Launch
        inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
        medspa.refresh_from_db()
        medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, Decimal("15")
        medspa.save()  # autocommit: the reprice takes its locks in a transaction of its own
        assert inventory_cart.cart_of(medspa).lines.get().unit_price == Decimal("579.00")


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_makes_one_order(cast, catalog):
    with medspa_scope(cast.medspa_a):
        medspa = factories.shipping_address(cast.medspa_a)
        inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
        barrier, results, errors = threading.Barrier(2), [], []

        def click():
            try:
                with scopes_disabled():
                    barrier.wait()
                    results.append(submit(medspa, cast.admin_a, key="double-click").pk)
            except Exception as error:  # noqa: BLE001 (the assertion below reports it)
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=click) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and len(set(results)) == 1 and Order.objects.count() == 1


class TestReview:
    @pytest.fixture
    def order(self, cast, medspa, catalog, django_capture_on_commit_callbacks):
        with medspa_scope(medspa):
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=4)
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.gloves, quantity=10)
            with django_capture_on_commit_callbacks(execute=True):
                return submit(medspa, cast.admin_a)

    def test_an_order_cannot_be_marked_delivered_before_its_delivery_date_in_the_medspas_zone(
        self, cast, medspa, order
    ):
        with medspa_scope(medspa):
            orders.order_approve(order=order, by=cast.staff)
            orders.order_ship(order=order, by=cast.staff, carrier="UPS", tracking_number="1Z999")
            medspa.time_zone = "America/Los_Angeles"
            medspa.save()
            # 8 p.m. in Los Angeles the evening before: already the delivery date in UTC.
            evening_before = datetime.combine(
                order.delivery_date - timedelta(days=1), time(20), tzinfo=medspa.tz
            )
            assert evening_before.astimezone(UTC).date() == order.delivery_date
            with (
                time_machine.travel(evening_before, tick=False),
                pytest.raises(OrderingRefused, match="due on"),
            ):
                orders.order_deliver(order=order, by=cast.staff)
            order.refresh_from_db()
            assert order.status == OrderStatus.SHIPPED
            with time_machine.travel(evening_before + timedelta(hours=5), tick=False):  # 1 a.m. on the day
                orders.order_deliver(order=order, by=cast.staff)
            order.refresh_from_db()
            assert order.status == OrderStatus.DELIVERED

    def test_submitting_emails_the_admins_once(self, cast, order):
        with medspa_scope(cast.medspa_a):
            assert len(mail.outbox) == 1 and cast.admin_a.email in mail.outbox[0].to
            assert "submitted" in mail.outbox[0].subject
            emails.order_event_email(event_id=order.events.get().pk)
            assert len(mail.outbox) == 1

    def test_approve_ship_deliver_each_emailed_once(self, cast, order, django_capture_on_commit_callbacks):
        with medspa_scope(cast.medspa_a):
            with django_capture_on_commit_callbacks(execute=True):
                orders.order_approve(order=order, by=cast.staff)
            with pytest.raises(OrderingRefused, match="tracking"):
                orders.order_ship(order=order, by=cast.staff, carrier="UPS", tracking_number=" ")
            with django_capture_on_commit_callbacks(execute=True):
                orders.order_ship(order=order, by=cast.staff, carrier="UPS", tracking_number="1Z999")
            with django_capture_on_commit_callbacks(execute=True):
                orders.order_deliver(order=order, by=cast.staff, today=order.delivery_date)
            assert [m.subject.split(": ")[1] for m in mail.outbox] == [
                "submitted",
                "approved",
                "shipped",
                "delivered",
            ]
            assert "1Z999" in mail.outbox[2].body
            for event in OrderEvent.objects.all():
                emails.order_event_email(event_id=event.pk)
            assert len(mail.outbox) == 4

    def test_a_change_keeps_what_was_ordered_beside_what_ships(
        self, cast, order, catalog, django_capture_on_commit_callbacks
    ):
        with medspa_scope(cast.medspa_a):
            toxin = order.lines.get(product=catalog.toxin)
            gloves = order.lines.get(product=catalog.gloves)
            with django_capture_on_commit_callbacks(execute=True):
                orders.order_change(
                    order=order, by=cast.staff, note="Toxin 100 backordered: two 50-unit vials each instead.",
                    changes=[LineChange(toxin, 8, product=catalog.toxin_50),
                             LineChange(gloves, 10, unit_price=Decimal("12"))],
                )  # fmt: skip
            order.refresh_from_db()
            toxin.refresh_from_db()
            assert order.status == OrderStatus.CHANGED
            assert (toxin.product, toxin.quantity, toxin.unit_price) == (
                catalog.toxin_50,
                8,
                Decimal("306.00"),
            )
            assert (toxin.ordered_product, toxin.ordered_quantity) == (catalog.toxin, 4) and toxin.is_changed
            assert order.total == 8 * Decimal("306") + 10 * Decimal("12")
            assert "changes" in mail.outbox[-1].body and "you ordered 4" in mail.outbox[-1].body

    def test_a_change_that_changes_nothing_is_an_approval(self, cast, order):
        with medspa_scope(cast.medspa_a):
            line = order.lines.first()
            with pytest.raises(OrderingRefused, match="Nothing was changed"):
                orders.order_change(
                    order=order, by=cast.staff, note="x", changes=[LineChange(line, line.quantity)]
                )

    def test_reject_needs_a_reason_and_ends_the_order(self, cast, order):
        with medspa_scope(cast.medspa_a):
            with pytest.raises(OrderingRefused, match="why"):
                orders.order_reject(order=order, by=cast.staff, reason="")
            orders.order_reject(order=order, by=cast.staff, reason="Out of stock at the supplier.")
            with pytest.raises(OrderingRefused, match="cannot become approved"):
                orders.order_approve(order=order, by=cast.staff)

    def test_the_medspa_cancels_only_before_the_review(self, cast, order, medspa, catalog):
        with medspa_scope(medspa):
            orders.order_cancel(order=order, by=cast.admin_a, reason="Ordered twice")
            assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
            inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=1)
            approved = orders.order_approve(order=submit(medspa, cast.admin_a), by=cast.staff)
            with pytest.raises(OrderingRefused, match="only a submitted order"):
                orders.order_cancel(order=approved, by=cast.admin_a)

    def test_order_again_refills_the_cart_at_todays_prices(self, cast, order, catalog, medspa):
        with medspa_scope(medspa):
            catalog.toxin.price_launch = Decimal("599")
            catalog.toxin.save()
            catalog.gloves.is_available = False
            catalog.gloves.save()
            cart, missing = orders.order_again(order=order)
            assert missing == ["Gloves (100 units)"]
            assert cart.lines.get().unit_price == Decimal("599.00")

    def test_a_pricing_issue_is_a_ticket_staff_resolve(self, cast, order, medspa):
        with medspa_scope(medspa):
            issue = pricing.pricing_issue_report(
                medspa=medspa, by=cast.admin_a, order=order, message="Flex price?"
            )
            assert issue.business_model == BusinessModel.LAUNCH and issue.status == PricingIssue.Status.OPEN
            pricing.pricing_issue_resolve(issue=issue, by=cast.staff, resolution="Price corrected.")
            with pytest.raises(OrderingRefused, match="already resolved"):
                pricing.pricing_issue_resolve(issue=issue, by=cast.staff, resolution="again")
