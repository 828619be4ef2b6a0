"""A retail checkout through a real Chromium: from the patient's profile a provider starts a cart, adds two
products, pays it by card and cash, sees the receipt (and that it was emailed), then refunds part of the
card payment after confirming."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from providers.models import Refund, Sale, SaleStatus
from providers.services import checkout
from services_catalog.services import catalog
from tests import factories
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser


def product(medspa, name, sku, price, *, taxable):
    with medspa_scope(medspa):
        return catalog.product_save(
            medspa=medspa,
            data={"name": name, "sku": sku, "price": Decimal(price), "taxable": taxable, "is_active": True},
        )


def test_a_provider_sells_two_products_split_card_and_cash_and_refunds_part(
    live_server, page: Page, live_cast
):
    medspa, user = live_cast.medspa_a, live_cast.provider_a1
    with medspa_scope(medspa):
        membership = user.memberships.get()
    world = factories.charting_world(medspa, membership)
    world.location.sales_tax_percent = Decimal("8.875")
    world.location.save()
    product(medspa, "Serum", "S1", "89.99", taxable=True)
    product(medspa, "Gift box", "G1", "25", taxable=False)
    patient = world.patient
    mail.outbox.clear()
    sign_in(page, live_server, user)

    # The patient's profile → Retail checkout: the only location is chosen already.
    page.goto(f"{live_server.url}/provider/patients/{patient.pk}/")
    page.get_by_role("link", name="Retail checkout", exact=True).click()
    expect(page).to_have_url(url_is(live_server, "/provider/checkout/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Retail checkout")
    expect(page.locator("main")).to_contain_text(patient.full_name)
    expect(page.get_by_label("Location")).to_have_value(str(world.location.pk))
    page.get_by_role("button", name="Start the cart").click()

    # The cart: two products.
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/provider/sales/\d+/(#cart)?$"))
    with medspa_scope(medspa):
        sale = Sale.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cart {sale.number}")
    expect(page.get_by_text("The cart is empty")).to_be_visible()
    page.get_by_label("Product", exact=True).select_option(label="Serum · $89.99")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_label("Product", exact=True).select_option(label="Gift box · $25.00")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to cart").click()
    cart = page.locator("section#cart")
    expect(cart.get_by_label("Quantity of Serum", exact=True)).to_have_value("1")
    expect(cart.get_by_label("Quantity of Gift box", exact=True)).to_have_value("2")
    cart.get_by_label("Quantity of Gift box", exact=True).fill("1")
    cart.get_by_role("button", name="Update the quantity of Gift box").click()
    cart = page.locator("section#cart")
    expect(cart.get_by_label("Quantity of Gift box", exact=True)).to_have_value("1")
    # $89.99 + $25; 8.875 % tax on the serum only is $7.99.
    expect(cart.locator("tfoot")).to_contain_text("$114.99")
    expect(cart.locator("tfoot")).to_contain_text("8.875%")
    expect(cart.locator("tr.sale-total")).to_contain_text("$122.98")
    screenshot(page, "retail_cart")

    # Split payment: $100 by card, the rest in cash; the receipt goes to the patient's address.
    charge = page.locator("section#charge")
    expect(charge.get_by_label("Email the receipt to")).to_have_value(patient.email)
    charge.get_by_label("Card ($)", exact=True).fill("100")
    charge.get_by_label("Card's last 4 digits").fill("4242")
    charge.get_by_label("Cash ($)", exact=True).fill("22.98")
    charge.get_by_role("button", name="Take payment").click()

    expect(page.get_by_role("status")).to_contain_text(f"{sale.number} is paid.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt {sale.number}")
    receipt = page.locator("section.receipt")
    expect(receipt).to_contain_text("Receipt sent")
    expect(receipt).to_contain_text(patient.email)
    expect(receipt.locator("table.sale-payments")).to_contain_text("····4242")
    expect(receipt.locator("tr.sale-total")).to_contain_text("$122.98")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    sale.refresh_from_db()
    assert sale.status == SaleStatus.PAID and sale.total == Decimal("122.98")
    screenshot(page, "retail_receipt")

    # Refund $30 of the card payment, after confirming.
    refunds = page.locator("section#refunds")
    expect(refunds).to_contain_text("Nothing has been refunded.")
    refunds.get_by_label("Refund to").select_option(
        label="Card ····4242: $100.00 paid, $100.00 left to refund"
    )
    refunds.get_by_label("Amount ($)").fill("30")
    refunds.get_by_label("Reason").fill("One serum returned unopened")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    refunds.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("$30.00 was refunded to the card payment.")
    assert dialogs and dialogs[0].startswith("Refund this money?")
    refunds = page.locator("section#refunds")
    expect(refunds.locator("table.sale-refunds")).to_contain_text("One serum returned unopened")
    expect(refunds.locator("table.sale-refunds")).to_contain_text(user.get_full_name())
    expect(refunds.get_by_label("Refund to")).to_contain_text("$70.00 left to refund")
    with medspa_scope(medspa):
        refund = Refund.objects.get()
        assert refund.amount == Decimal("30.00") and refund.payment.method == "card"
    screenshot(page, "retail_refund")


def test_the_charge_shows_a_running_total_that_follows_each_quantity_and_figure_typed(
    live_server, page: Page, live_cast
):
    """Before anything is submitted: a quantity changed in the cart, a discount, a tip and a payment each
    change the total and what is still to pay, as the server's settlement works them out."""
    medspa, user = live_cast.medspa_a, live_cast.provider_a1
    with medspa_scope(medspa):
        membership = user.memberships.get()
    world = factories.charting_world(medspa, membership)
    world.location.sales_tax_percent = Decimal("8.875")
    world.location.save()
    serum = product(medspa, "Serum", "S1", "89.99", taxable=True)
    gift = product(medspa, "Gift box", "G1", "25", taxable=False)
    with medspa_scope(medspa):
        sale = checkout.retail_sale_open(provider=membership, location=world.location, by=user)
        checkout.retail_line_set(sale=sale, product=serum, quantity=Decimal("1"))
        checkout.retail_line_set(sale=sale, product=gift, quantity=Decimal("1"))
    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/provider/sales/{sale.pk}/")
    running = page.get_by_role("region", name="Running total")
    total, due = running.locator("[data-figure=total]"), running.locator("[data-figure=due]")
    expect(total).to_have_text("$122.98")  # $114.99 + 8.875 % tax on the serum ($7.99)

    # Three serums: 294.97 + tax 23.96 (8.875 % of 269.97), with no button pressed.
    page.get_by_label("Quantity of Serum", exact=True).fill("3")
    page.get_by_label("Quantity of Serum", exact=True).press("Tab")  # leaving the field changes it
    expect(total).to_have_text("$318.93")
    expect(page.locator("section#cart tr.sale-total")).to_contain_text("$318.93")
    with medspa_scope(medspa):
        assert sale.lines.get(retail_product=serum).quantity == 3  # the cart keeps the new quantity

    charge = page.locator("section#charge")
    charge.get_by_label("Tip ($)").fill("1000")
    expect(total).to_have_text("$1,318.93")
    # A $20 discount: the serums' share is $18.30 of it, so the tax falls to $22.34 (8.875 % of 251.67).
    charge.get_by_label("Discount ($)").fill("20")
    expect(running).to_contain_text("−$20.00")
    expect(total).to_have_text("$1,297.31")
    charge.get_by_label("Cash ($)", exact=True).fill("300")
    expect(running.locator("[data-figure=paid]")).to_have_text("$300.00")
    expect(due).to_have_text("$997.31")
    charge.get_by_label("Card ($)", exact=True).fill("1000")
    expect(running).to_contain_text("Paid over by")
    expect(due).to_have_text("$2.69")
    with medspa_scope(medspa):
        sale.refresh_from_db()
        assert sale.status == SaleStatus.OPEN  # nothing was charged
