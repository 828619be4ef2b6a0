"""Inventory ordering through a real Chromium: medspa A's admin (Launch) adds two products to the cart from
the catalog, checks out with a delivery date and a payment method; Portrait's inventory team approves the
order with a change on its review page (/inventory/queue/); the admin then sees the change in the order
history: the order "Approved with changes", the changed line with what was ordered beside what ships.

The browser is signed in by handing it the session of a Django test client that did force_login (as in
test_browser_dashboards.py); switching people replaces the session cookie."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from inventory_orders.models import CatalogProduct, Order, OrderStatus, Supplier
from inventory_orders.services.rules import earliest_delivery
from medspa.tenancy import medspa_scope
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser

TOXIN = "Toxin 100"
FILLER = "Lip filler"


def catalog() -> dict:
    supplier = Supplier.objects.create(name="Coldchain Aesthetics", disclaimer="Ships refrigerated.")

    def product(sku, name, category, market, launch, flex):
        return CatalogProduct.objects.create(
            supplier=supplier, sku=sku, name=name, category=category, unit="vial", pack_size="100 units",
            market_price=Decimal(market), price_legacy=Decimal(launch) + 10, price_launch=Decimal(launch),
            price_flex=Decimal(flex),
        )  # fmt: skip

    return {
        "toxin": product("NT-100", TOXIN, "neurotoxin", "600", "540", "525"),
        "filler": product("FL-1", FILLER, "filler", "320", "290", "280"),
    }


def admin_nav(page: Page):
    return page.get_by_role("navigation", name="Medspa Admin dashboard")


def test_add_to_cart_check_out_staff_change_and_the_admin_sees_it(live_server, page: Page, live_cast):
    medspa = live_cast.medspa_a
    medspa.business_model = "launch"
    medspa.shipping_line1, medspa.shipping_city = "410 Harbor Way", "Santa Barbara"
    medspa.shipping_state, medspa.shipping_postal_code = "CA", "93101"
    medspa.save()
    products = catalog()
    admin = live_cast.admin_a
    sign_in(page, live_server, admin)

    # The Inventory tab: the catalog at the Launch prices, and no inventory tracking.
    page.goto(f"{live_server.url}/dashboard/")
    admin_nav(page).get_by_role("link", name="Inventory", exact=True).click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/inventory/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventory")
    expect(page.get_by_role("heading", name="No inventory tracking")).to_be_visible()
    toxin_row = page.locator(f"#product-{products['toxin'].pk}")
    expect(toxin_row).to_contain_text("$540.00")
    expect(toxin_row).to_contain_text("$60.00 (10%)")
    expect(toxin_row).to_contain_text("Ships refrigerated.")
    toxin_row.get_by_label(f"Quantity of {TOXIN}").fill("2")
    toxin_row.get_by_role("button", name=f"Add to cart ({TOXIN})").click()
    expect(page.get_by_role("status")).to_contain_text(f"2 × {TOXIN} (100 units) added to the cart.")
    page.locator(f"#product-{products['filler'].pk}").get_by_role(
        "button", name=f"Add to cart ({FILLER})"
    ).click()
    expect(page.get_by_role("link", name="Cart: 3 items · $1,370.00")).to_be_visible()
    screenshot(page, "inventory_catalog")

    # The cart, then checkout.
    page.get_by_role("link", name="Cart: 3 items · $1,370.00").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/inventory/cart/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cart")
    expect(page.locator("table.cart-lines tbody tr")).to_have_count(2)
    page.locator(".cart-actions").get_by_role("link", name="Go to checkout").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/inventory/checkout/"))
    expect(page.get_by_role("alert")).to_have_count(0)  # no price changed, the address is there
    expect(page.locator("#delivery address")).to_contain_text("410 Harbor Way")
    earliest = earliest_delivery(timezone.localdate(timezone=medspa.tz))
    date_input = page.get_by_label("Delivery date")
    expect(date_input).to_have_attribute("min", earliest.isoformat())
    expect(date_input).to_have_value(earliest.isoformat())
    page.get_by_label("Payment method").select_option(label="Bank transfer (ACH)")
    page.get_by_label("Notes for the inventory team").fill("Deliver to the back door.")
    screenshot(page, "inventory_checkout")
    page.get_by_role("button", name="Place order · $1,370.00").click()

    with medspa_scope(medspa):
        order = Order.objects.get()
    order_path = f"/dashboard/inventory/orders/{order.pk}/"
    expect(page).to_have_url(url_is(live_server, order_path))
    expect(page.get_by_role("status").first).to_contain_text(f"Order {order.number} was submitted.")
    expect(page.locator(".page-head .badge")).to_have_text("Submitted")
    assert (order.payment_method, order.total) == ("ach", Decimal("1370.00"))

    # Portrait's inventory team approves it with a change: one toxin instead of two, at a lower price.
    sign_in(page, live_server, live_cast.staff)
    page.goto(f"{live_server.url}/inventory/queue/")
    page.get_by_role("link", name=f"Review {order.number}").click()
    expect(page).to_have_url(url_is(live_server, f"/inventory/queue/{order.pk}/"))
    change = page.locator("form").filter(has=page.get_by_role("heading", name="Approve with changes"))
    change.get_by_label(f"Quantity of {TOXIN} (100 units)").fill("1")
    change.get_by_label(f"Unit price of {TOXIN} (100 units)").fill("530.00")
    change.get_by_label("What changed and why").fill("Only one vial left in stock; 10 dollars off for it.")
    change.get_by_role("button", name="Approve with these changes").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{order.number} of {medspa.name} was approved with changes."
    )
    with medspa_scope(medspa):
        order.refresh_from_db()
    assert order.status == OrderStatus.CHANGED and order.total == Decimal("820.00")
    assert f"Order {order.number}: approved with changes" in [message.subject for message in mail.outbox]

    # The admin finds the change in the order history.
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/dashboard/inventory/")
    page.get_by_role("navigation", name="Inventory").get_by_role("link", name="Order history").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/inventory/orders/"))
    row = page.locator("table.orders tbody tr").filter(has=page.get_by_role("link", name=order.number))
    expect(row).to_contain_text("Approved with changes")
    expect(row).to_contain_text("$820.00")
    screenshot(page, "inventory_order_history")
    row.get_by_role("link", name=order.number).click()
    expect(page).to_have_url(url_is(live_server, order_path))
    expect(page.locator(".page-head .badge")).to_have_text("Approved with changes")
    expect(page.locator(".order-changed")).to_contain_text(
        "Only one vial left in stock; 10 dollars off for it."
    )
    changed = page.locator("tr.order-line-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(TOXIN)
    expect(changed.locator("del")).to_have_text(["2", "$540.00", "$1,080.00"])
    expect(changed).to_contain_text("Changed")
    unchanged = page.locator("table.order-lines tbody tr").filter(has_text=FILLER)
    expect(unchanged).to_contain_text("As ordered")
    expect(page.locator("table.order-lines tfoot")).to_contain_text(re.compile(r"\$1,370\.00\s*\$820\.00"))
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("Approved with changes")
    expect(timeline.nth(1)).to_contain_text("(Portrait)")
    # Decided: no cancelling any more.
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    screenshot(page, "inventory_order_changed")
