"""Portrait's inventory review: the staff queue across medspas, approving, changing and rejecting an order,
shipping and delivering it (each step emailed to the medspa's admins once), pricing tickets, and the catalog
and orders in Django admin."""

import uuid
from datetime import datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client

from inventory_orders import tasks
from inventory_orders.models import (
    CatalogProduct,
    Category,
    Order,
    OrderEvent,
    OrderingRules,
    OrderStatus,
    PaymentMethod,
    PricingIssue,
    Supplier,
)
from inventory_orders.services import cart, orders, pricing
from inventory_orders.services import rules as inventory_rules
from medspa.money import money_format
from medspa.tenancy import medspa_scope
from tests import factories


@pytest.fixture
def catalog(db):
    """Two suppliers' products: a neurotoxin, a filler, and the filler's substitute."""
    allergan = Supplier.objects.create(name="Allergan Aesthetics", disclaimer="Ships refrigerated.")
    galderma = Supplier.objects.create(name="Galderma")

    def product(supplier, name, sku, market, legacy, launch, flex, category=Category.FILLER):
        return CatalogProduct.objects.create(
            supplier=supplier, name=name, category=category, sku=sku, unit="syringe", pack_size="1 mL",
            market_price=Decimal(market), price_legacy=Decimal(legacy), price_launch=Decimal(launch),
            price_flex=Decimal(flex),
        )  # fmt: skip

    return {
        "botox": product(
            allergan,
            "Botox Cosmetic",
            "ALG-BTX-100",
            "650.00",
            "612.00",
            "589.00",
            "579.00",
            Category.NEUROTOXIN,
        ),
        "juvederm": product(
            allergan, "Juvéderm Ultra XC", "ALG-JUX-1", "329.00", "309.00", "297.00", "292.00"
        ),
        "restylane": product(galderma, "Restylane-L", "GAL-RSL-1", "309.00", "290.00", "279.00", "274.00"),
    }


def place_order(medspa, by, lines) -> Order:
    """Through the services, as the medspa's admin would: the cart, then submitting it."""
    with medspa_scope(medspa):
        medspa.shipping_line1, medspa.shipping_city = "12 Main St", "Austin"
        medspa.shipping_state, medspa.shipping_postal_code = "TX", "78701"
        medspa.save()
        for product, quantity in lines:
            cart.cart_line_set(medspa=medspa, product=product, quantity=quantity)
        return orders.order_submit(
            medspa=medspa, by=by, delivery_date=inventory_rules.earliest_delivery(),
            payment_method=PaymentMethod.CARD_ON_FILE, notes="Leave at the front desk.",
            idempotency_key=uuid.uuid4().hex,
        )  # fmt: skip


@pytest.fixture
def order(cast, catalog):
    """A Launch order of medspa A: 2 Botox at $589, 3 Juvéderm at $297 = $2,069."""
    return place_order(cast.medspa_a, cast.admin_a, [(catalog["botox"], 2), (catalog["juvederm"], 3)])


def _review(order):
    return f"/inventory/queue/{order.pk}/"


def _post(client, order, data, capture):
    with capture(execute=True):
        return client.post(_review(order), data)


def _admins_a(cast):
    return [cast.admin_a.email]


# --- Who may open it ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin_a", "provider_a1", "provider_a2", "admin_b", "provider_b"])
def test_medspa_members_get_403_everywhere(client_as, order, name):
    issue = pricing.pricing_issue_report(medspa=order.medspa, by=order.submitted_by, message="?", order=order)
    client = client_as(name)
    assert client.get("/inventory/queue/").status_code == 403
    assert client.get(_review(order)).status_code == 403
    assert client.post(_review(order), {"action": "approve"}).status_code == 403
    assert client.get("/inventory/queue/pricing-tickets/").status_code == 403
    assert client.post(f"/inventory/queue/pricing-tickets/{issue.pk}/resolve/", {}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED


def test_anonymous_visitors_are_sent_to_sign_in(order):
    for path in ("/inventory/queue/", _review(order), "/inventory/queue/pricing-tickets/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_find_the_pages_in_their_menu(client_as, order):
    page = client_as("staff").get("/inventory/queue/").content.decode()
    assert 'href="/inventory/queue/"' in page and 'href="/inventory/queue/pricing-tickets/"' in page
    assert 'href="/gfe/queue/"' in page
    assert "/inventory/queue/" not in client_as("admin_a").get("/profile/").content.decode()


# --- The queue ----------------------------------------------------------------------------------------------


def test_the_queue_lists_orders_awaiting_review_across_medspas_oldest_first(cast, catalog, client_as, order):
    with medspa_scope(cast.medspa_a):
        flex = place_order(cast.medspa_b, cast.admin_b, [(catalog["restylane"], 1)])
        approved = place_order(cast.medspa_a, cast.admin_a, [(catalog["botox"], 1)])
        orders.order_approve(order=approved, by=cast.staff)
        staff = client_as("staff")

        page = staff.get("/inventory/queue/").content.decode()
        assert page.index(order.number) < page.index(flex.number)  # the oldest first
        assert approved.number not in page  # no longer awaiting review
        assert "Glow A" in page and "Luxe B" in page and "Launch" in page and "Flex" in page
        assert "$2,069.00" in page and "$274.00" in page

        assert approved.number in staff.get("/inventory/queue/?status=to_ship").content.decode()
        only_b = staff.get(f"/inventory/queue/?medspa={cast.medspa_b.pk}").content.decode()
        assert flex.number in only_b and order.number not in only_b
        found = staff.get(f"/inventory/queue/?status=all&q={order.number.lower()}").content.decode()
        assert order.number in found and flex.number not in found
        assert "No order matches" in staff.get("/inventory/queue/?q=nothing").content.decode()
        assert staff.get("/inventory/queue/?status=nonsense&medspa=x&page=99").status_code == 200


def test_the_queue_pages(cast, catalog, client_as, order, monkeypatch):
    with medspa_scope(cast.medspa_a):
        from inventory_orders.views import staff as views_staff

        monkeypatch.setattr(views_staff, "PAGE_SIZE", 1)
        second = place_order(cast.medspa_a, cast.admin_a, [(catalog["botox"], 1)])
        staff = client_as("staff")
        first_page = staff.get("/inventory/queue/").content.decode()
        assert order.number in first_page and second.number not in first_page and "Page 1 of 2" in first_page
        assert second.number in staff.get("/inventory/queue/?page=2").content.decode()


def test_the_queue_reads_a_constant_number_of_queries(cast, catalog, client_as, django_assert_num_queries):
    with medspa_scope(cast.medspa_a):
        staff = client_as("staff")
        place_order(cast.medspa_a, cast.admin_a, [(catalog["botox"], 1)])
        staff.get("/inventory/queue/")
        # session, user, memberships, MFA, audit context, count, the page of orders (medspa and submitter
        # joined, lines counted), the medspas of the filter, audit context again, session save (3)
        with django_assert_num_queries(12) as first:
            assert staff.get("/inventory/queue/").status_code == 200
        for _ in range(4):
            place_order(cast.medspa_a, cast.admin_a, [(catalog["botox"], 1), (catalog["juvederm"], 2)])
            place_order(cast.medspa_b, cast.admin_b, [(catalog["restylane"], 1)])
        with django_assert_num_queries(len(first.captured_queries)):
            assert staff.get("/inventory/queue/").status_code == 200


# --- The review page ----------------------------------------------------------------------------------------


def test_the_review_page_shows_the_order(client_as, order, catalog):
    catalog["botox"].price_launch = Decimal("599.00")  # the catalog moved since
    catalog["botox"].save()
    page = client_as("staff").get(_review(order)).content.decode()
    expected = ["Glow A", "Launch", "12 Main St", "Card on file", "Leave at the front desk.",
                "Botox Cosmetic", "$650.00", "$589.00", "$599.00", "Launch price now", "differs", "$2,069.00",
                "Approve with changes", "data-confirm=", "Submitted"]  # fmt: skip
    for text in expected:
        assert text in page, text
    assert "Email to the medspa's admins not sent yet" in page


def test_approving_emails_the_medspas_admins_once(cast, client_as, order, django_capture_on_commit_callbacks):
    with medspa_scope(cast.medspa_a):
        staff = client_as("staff")
        response = _post(staff, order, {"action": "approve", "approve-note": "All in stock."},
                         django_capture_on_commit_callbacks)  # fmt: skip
        assert response.status_code == 302 and response["Location"] == _review(order)
        order.refresh_from_db()
        assert order.status == OrderStatus.APPROVED and order.review_note == "All in stock."
        assert order.reviewed_by == cast.staff
        assert len(mail.outbox) == 1
        assert (
            mail.outbox[0].to == _admins_a(cast)
            and mail.outbox[0].subject == f"Order {order.number}: approved"
        )
        assert "All in stock." in mail.outbox[0].body

        event = order.events.get(status=OrderStatus.APPROVED)
        tasks.order_event_email(event.pk, event.medspa_id)  # a retry of the task
        assert len(mail.outbox) == 1
        page = staff.get(_review(order)).content.decode()
        assert (
            "Emailed to the medspa's admins" in page
            and "Mark shipped" in page
            and "Approve as placed" not in page
        )


def test_changing_quantity_substitute_and_price(
    cast, catalog, client_as, order, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a):
        botox, juvederm = order.lines.order_by("pk")
        data = {
            "action": "change",
            f"change-quantity_{botox.pk}": "1",  # fewer
            f"change-product_{botox.pk}": "",
            f"change-unit_price_{botox.pk}": "",
            f"change-quantity_{juvederm.pk}": "3",
            f"change-product_{juvederm.pk}": str(catalog["restylane"].pk),  # out of stock: Restylane instead
            f"change-unit_price_{juvederm.pk}": "",
            "change-note": "One Botox left; Restylane-L for the Juvéderm.",
        }
        response = _post(client_as("staff"), order, data, django_capture_on_commit_callbacks)
        assert response.status_code == 302
        order.refresh_from_db()
        botox.refresh_from_db()
        juvederm.refresh_from_db()
        assert order.status == OrderStatus.CHANGED
        assert (botox.quantity, botox.unit_price, botox.ordered_quantity) == (1, Decimal("589.00"), 2)
        assert juvederm.product == catalog["restylane"] and juvederm.ordered_product == catalog["juvederm"]
        assert juvederm.unit_price == Decimal("279.00")  # Restylane's Launch price
        assert juvederm.ordered_unit_price == Decimal("297.00")
        assert order.total == Decimal("589.00") + 3 * Decimal("279.00")
        assert len(mail.outbox) == 1 and "approved with changes" in mail.outbox[0].subject
        assert "you ordered 2 at $589.00" in mail.outbox[0].body

        page = client_as("staff").get(_review(order)).content.decode()
        assert "Ordered: 2 × Botox Cosmetic (1 mL) at $589.00" in page
        assert "Ordered: 3 × Juvéderm Ultra XC (1 mL) at $297.00" in page
        assert "Restylane-L (1 mL)" in page and money_format(order.total) in page


def test_a_changed_price_and_a_removed_line(cast, client_as, order, django_capture_on_commit_callbacks):
    with medspa_scope(cast.medspa_a):
        botox, juvederm = order.lines.order_by("pk")
        data = {
            "action": "change",
            f"change-quantity_{botox.pk}": "2",
            f"change-unit_price_{botox.pk}": "560.00",
            f"change-quantity_{juvederm.pk}": "0",
            "change-note": "Promotion on Botox; Juvéderm is back-ordered.",
        }
        assert _post(client_as("staff"), order, data, django_capture_on_commit_callbacks).status_code == 302
        order.refresh_from_db()
        assert order.total == Decimal("1120.00")
        page = client_as("staff").get(_review(order)).content.decode()
        assert "Ordered: 2 × Botox Cosmetic (1 mL) at $589.00" in page
        assert "Ordered: 3 × Juvéderm Ultra XC (1 mL) at $297.00 · removed" in page


def test_a_change_without_a_note_or_without_a_change_is_refused_with_the_typing_kept(client_as, order):
    with medspa_scope(order.medspa):
        botox, juvederm = order.lines.order_by("pk")
        staff = client_as("staff")
        data = {"action": "change", f"change-quantity_{botox.pk}": "7", f"change-quantity_{juvederm.pk}": "3",
                "change-note": ""}  # fmt: skip
        response = staff.post(_review(order), data)
        page = response.content.decode()
        assert response.status_code == 400 and "Say what changed and why" in page and 'value="7"' in page
        data.update({f"change-quantity_{botox.pk}": "2", "change-note": "Checked."})
        response = staff.post(_review(order), data)
        assert response.status_code == 400 and "Nothing was changed: approve the order instead." in (
            response.content.decode()
        )
        response = staff.post(_review(order), {**data, f"change-quantity_{botox.pk}": "1000"})
        assert response.status_code == 400
        order.refresh_from_db()
        assert order.status == OrderStatus.SUBMITTED and len(mail.outbox) == 0


def test_rejecting_needs_a_reason(cast, client_as, order, django_capture_on_commit_callbacks):
    with medspa_scope(cast.medspa_a):
        staff = client_as("staff")
        response = staff.post(_review(order), {"action": "reject", "reject-reason": "  "})
        assert response.status_code == 400 and "Say why the order is rejected." in response.content.decode()
        reason = "The medspa's licence is not on file."
        response = _post(
            staff, order, {"action": "reject", "reject-reason": reason}, django_capture_on_commit_callbacks
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert (
            order.status == OrderStatus.REJECTED
            and order.review_note == "The medspa's licence is not on file."
        )
        assert len(mail.outbox) == 1 and "rejected" in mail.outbox[0].subject
        assert "licence is not on file" in mail.outbox[0].body
        assert "nothing is left to do" in staff.get(_review(order)).content.decode()


def test_approving_a_cancelled_order_is_refused(cast, client_as, order):
    with medspa_scope(cast.medspa_a):
        orders.order_cancel(order=order, by=cast.admin_a, reason="Ordered twice.")
        staff = client_as("staff")
        response = staff.post(_review(order), {"action": "approve", "approve-note": "ok"})
        page = response.content.decode()
        assert response.status_code == 400 and "A cancelled order cannot become approved." in page
        assert "cancelled by the medspa" in page
        assert staff.post(_review(order), {"action": "ship", "ship-tracking_number": "1Z"}).status_code == 400
        assert staff.post(_review(order), {"action": "launch"}).status_code == 400
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED


def test_shipping_needs_a_tracking_number_then_delivery(
    cast, client_as, order, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a):
        staff = client_as("staff")
        assert (
            staff.post(_review(order), {"action": "ship", "ship-tracking_number": "1Z999"}).status_code == 400
        )
        orders.order_approve(order=order, by=cast.staff)
        response = staff.post(
            _review(order), {"action": "ship", "ship-carrier": "UPS", "ship-tracking_number": ""}
        )
        page = response.content.decode()
        assert response.status_code == 400 and "Give the tracking number" in page and 'value="UPS"' in page

        response = _post(
            staff, order, {"action": "ship", "ship-carrier": "UPS", "ship-tracking_number": "1Z999"},
            django_capture_on_commit_callbacks,
        )  # fmt: skip
        assert response.status_code == 302
        order.refresh_from_db()
        assert (order.status, order.carrier, order.tracking_number) == (OrderStatus.SHIPPED, "UPS", "1Z999")
        assert len(mail.outbox) == 1 and "1Z999" in mail.outbox[0].body

        # Before the delivery date: no button, and a delivery sent anyway is refused.
        page = staff.get(_review(order)).content.decode()
        assert 'value="deliver"' not in page and "it can be marked delivered from that day on" in page
        early = staff.post(_review(order), {"action": "deliver"})
        assert (
            early.status_code == 400
            and "it can be marked delivered from that day on" in early.content.decode()
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.SHIPPED and len(mail.outbox) == 1

        with time_machine.travel(datetime.combine(order.delivery_date, time(9), tzinfo=order.medspa.tz)):
            staff = client_as("staff")  # signed in again: sessions end after an idle quarter of an hour
            assert 'value="deliver"' in staff.get(_review(order)).content.decode()
            assert (
                _post(staff, order, {"action": "deliver"}, django_capture_on_commit_callbacks).status_code
                == 302
            )
            order.refresh_from_db()
            assert order.status == OrderStatus.DELIVERED
            assert len(mail.outbox) == 2 and mail.outbox[1].subject == f"Order {order.number}: delivered"
            statuses = list(order.events.order_by("at", "pk").values_list("status", flat=True))
            assert statuses == ["submitted", "approved", "shipped", "delivered"]
            page = staff.get(_review(order)).content.decode()
            assert "This order was delivered" in page and "UPS 1Z999" in page


def test_an_email_that_failed_shows_on_the_timeline(client_as, order):
    with medspa_scope(order.medspa):
        event = order.events.get()
        OrderEvent.objects.filter(pk=event.pk).update(email_error="Connection refused")
        page = client_as("staff").get(_review(order)).content.decode()
        assert "Email to the medspa's admins failed: Connection refused" in page


# --- Pricing tickets ----------------------------------------------------------------------------------------


def test_pricing_tickets_open_first_and_resolved(cast, catalog, client_as, order):
    with medspa_scope(cast.medspa_b):
        resolved = pricing.pricing_issue_report(
            medspa=cast.medspa_b, by=cast.admin_b, message="Flex price of Restylane looks high.",
            product=catalog["restylane"],
        )  # fmt: skip
        pricing.pricing_issue_resolve(
            issue=resolved, by=cast.staff, resolution="Matches the supplier's list."
        )
    with medspa_scope(cast.medspa_a):
        issue = pricing.pricing_issue_report(
            medspa=cast.medspa_a, by=cast.admin_a, message="Botox was cheaper last month.", order=order
        )
        staff = client_as("staff")
        page = staff.get("/inventory/queue/pricing-tickets/").content.decode()
        assert page.index("Botox was cheaper last month.") < page.index("Flex price of Restylane looks high.")
        assert order.number in page and "Restylane-L (1 mL)" in page and "Matches the supplier" in page
        assert "Luxe B" in page and "Glow A" in page
        open_only = staff.get("/inventory/queue/pricing-tickets/?status=open").content.decode()
        assert "Flex price of Restylane" not in open_only

        url = f"/inventory/queue/pricing-tickets/{issue.pk}/resolve/"
        response = staff.post(url, {f"issue{issue.pk}-resolution": ""})
        assert response.status_code == 400 and "Say how the ticket was resolved." in response.content.decode()
        response = staff.post(url, {f"issue{issue.pk}-resolution": "Last month had a promotion."})
        assert response.status_code == 302 and response["Location"] == "/inventory/queue/pricing-tickets/"
        issue.refresh_from_db()
        assert issue.status == PricingIssue.Status.RESOLVED and issue.resolved_by == cast.staff
        assert issue.resolution == "Last month had a promotion."
        again = staff.post(url, {f"issue{issue.pk}-resolution": "Twice."})
        assert again.status_code == 400 and "already resolved" in again.content.decode()
        assert "No pricing ticket yet" not in staff.get("/inventory/queue/pricing-tickets/").content.decode()
        assert staff.get(_review(order)).content.decode().count("Last month had a promotion.") == 1


# --- Django admin -------------------------------------------------------------------------------------------


def test_staff_see_inventory_in_django_admin(cast, catalog, client_as, order):
    with medspa_scope(cast.medspa_a):
        staff = client_as("staff")
        for model in ("supplier", "catalogproduct", "orderingrules", "order", "pricingissue"):
            assert staff.get(f"/admin/inventory_orders/{model}/").status_code == 200, model
        product = catalog["botox"]
        page = staff.get(f"/admin/inventory_orders/catalogproduct/{product.pk}/change/").content.decode()
        assert "does not reprice the carts" in page and "checkout re-verifies" in page
        listing = staff.get("/admin/inventory_orders/catalogproduct/").content.decode()
        assert "$61.00 (9%)" in listing  # Launch: 650 − 589
        change = staff.get(f"/admin/inventory_orders/order/{order.pk}/change/").content.decode()
        assert f'href="/inventory/queue/{order.pk}/"' in change and "Juvéderm Ultra XC" in change
        assert staff.get("/admin/inventory_orders/order/add/").status_code == 403
        assert staff.get(f"/admin/inventory_orders/order/?q={order.number}").status_code == 200


def test_the_catalog_form_keeps_launch_at_or_above_flex(client_as, catalog):
    product = catalog["botox"]
    data = {
        "supplier": product.supplier_id, "name": product.name, "category": product.category,
        "sku": product.sku, "unit": product.unit, "pack_size": product.pack_size, "market_price": "650.00",
        "price_legacy": "612.00", "price_launch": "570.00", "price_flex": "579.00", "is_available": "on",
    }  # fmt: skip
    staff = client_as("staff")
    response = staff.post(f"/admin/inventory_orders/catalogproduct/{product.pk}/change/", data)
    assert response.status_code == 200
    assert "must be at least the Flex price" in response.content.decode()
    response = staff.post(
        f"/admin/inventory_orders/catalogproduct/{product.pk}/change/", {**data, "price_flex": "0"}
    )
    assert "A price is more than $0." in response.content.decode()
    product.refresh_from_db()
    assert product.price_launch == Decimal("589.00")
    response = staff.post(
        f"/admin/inventory_orders/catalogproduct/{product.pk}/change/", {**data, "price_launch": "595.00"}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price_launch == Decimal("595.00")


def test_the_ordering_rules_are_one_row(client_as, db):
    staff = client_as("staff")
    assert staff.get("/admin/inventory_orders/orderingrules/add/").status_code == 200
    rules = inventory_rules.ordering_rules()
    assert staff.get("/admin/inventory_orders/orderingrules/add/").status_code == 403
    assert staff.get(f"/admin/inventory_orders/orderingrules/{rules.pk}/delete/").status_code == 403
    assert staff.get(f"/admin/inventory_orders/orderingrules/{rules.pk}/change/").status_code == 200
    assert OrderingRules.objects.count() == 1


def test_a_medspas_admin_emails_go_to_every_active_admin(
    cast, client_as, order, django_capture_on_commit_callbacks
):
    with medspa_scope(cast.medspa_a):
        second = factories.MembershipFactory(medspa=cast.medspa_a, is_admin=True, is_provider=False)
        _post(client_as("staff"), order, {"action": "approve"}, django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 1 and sorted(mail.outbox[0].to) == sorted(
            [cast.admin_a.email, second.user.email]
        )
