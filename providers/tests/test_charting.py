"""Service-visit charting and checkout, at the service layer: the GFE gate inside charting, consent version
pinning, the chart lock and addenda, split payments, refunds, the Flex split, care messages exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from gfe.models import Clearance, ClearanceStatus
from medspa.messaging import sms
from medspa.models.tenancy import BusinessModel
from medspa.tenancy import medspa_scope
from providers.models import (
    CareMessageLog,
    ChartAddendum,
    Payment,
    Refund,
    SaleStatus,
    VisitConsent,
    VisitProduct,
    VisitService,
    VisitStatus,
)
from providers.selectors import charts
from providers.services import care_messages, charting, checkout
from providers.services.charting import ChartingRefused
from providers.services.settlement import CheckoutRefused, Tender
from scheduling.models import AppointmentStatus
from services_catalog.models import ConsentSignature, StandingOrder
from services_catalog.services import catalog, texts
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]


def pay(visit, user, total, **kwargs):
    return checkout.visit_checkout(
        visit=visit, tenders=[Tender("card", Decimal(total), "4242")], by=user, **kwargs
    )


class TestStartAndGate:
    def test_a_visit_from_a_checked_in_appointment_has_its_cleared_service(self, visit, world):
        with medspa_scope(visit.medspa):
            assert [row.service for row in visit.services.all()] == [world.service]
            assert visit.services.get().price == Decimal("300.00")

    def test_starting_twice_returns_the_same_visit(self, cast, visit):
        with medspa_scope(cast.medspa_a):
            again = charting.visit_start_from_appointment(appointment=visit.appointment, by=cast.provider_a1)
            assert again.pk == visit.pk

    def test_an_appointment_not_checked_in_does_not_start(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            appointment = factories.checked_in_appointment(world, provider)
            appointment.status = AppointmentStatus.BOOKED
            appointment.save()
            with pytest.raises(ChartingRefused, match="Check the patient in"):
                charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)

    def test_a_completed_appointment_without_a_chart_is_charted_afterwards(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            appointment = factories.checked_in_appointment(world, provider)
            appointment.status = AppointmentStatus.COMPLETED
            appointment.save()
            visit = charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)
            factories.consent_sign(visit, cast.provider_a1)
            pay(visit, cast.provider_a1, "300")
            visit.refresh_from_db()
            assert visit.status == VisitStatus.COMPLETED
            assert visit.appointment.status == AppointmentStatus.COMPLETED

    def test_the_gate_refuses_a_service_without_clearance(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            other = catalog.service_create(
                medspa=cast.medspa_a,
                data={"group": world.service.group, "name": "Filler", "price": Decimal("650"),
                      "duration_minutes": 45, "is_active": True},
            )  # fmt: skip
            visit = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            with pytest.raises(ChartingRefused, match="No valid GFE clearance for Filler"):
                charting.visit_service_add(visit=visit, service=other)
            assert not visit.services.exists()

    def test_a_clearance_that_ended_before_the_visit_day_stops_the_checkout(self, cast, visit, world):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            Clearance.objects.filter(patient=world.patient).update(
                status=ClearanceStatus.EXPIRED, valid_until=charts.visit_day(visit) - timedelta(days=1)
            )
            with pytest.raises(CheckoutRefused, match="No valid GFE clearance"):
                pay(visit, cast.provider_a1, "300")
            assert not Payment.objects.exists()

    def test_an_unsigned_standing_order_blocks_the_service(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            order = texts.text_create(
                model=StandingOrder, medspa=cast.medspa_a, title="Toxin SO", text="…", by=None
            )
            world.service.standing_order = order
            world.service.save()
            visit = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            with pytest.raises(ChartingRefused, match="standing order"):
                charting.visit_service_add(visit=visit, service=world.service)
            director = cast.admin_a.memberships.get()
            cast.medspa_a.medical_director = director
            cast.medspa_a.save()
            texts.standing_order_sign(
                medspa=cast.medspa_a, version=order.current_version, membership=director
            )
            row = charting.visit_service_add(visit=visit, service=world.service)
            assert row.standing_order_version == order.current_version


class TestConsents:
    def test_checkout_needs_the_consent_signed(self, cast, visit):
        with (
            medspa_scope(cast.medspa_a),
            pytest.raises(ChartingRefused, match="has not signed: Neurotoxin consent"),
        ):
            pay(visit, cast.provider_a1, "300")

    def test_the_signature_pins_the_exact_version(self, cast, visit, world):
        with medspa_scope(cast.medspa_a):
            signed = factories.consent_sign(visit, cast.provider_a1)
            assert signed.signature.ip == "203.0.113.9" and signed.signature.witnessed_by == cast.provider_a1
            texts.text_revise(document=world.consent, text="New risks were added to this text.", by=None)
            need = charts.consents_needed(visit)[0]
            assert need.version.number == 2 and not need.is_covered
            assert signed.signature.version.number == 1
            assert "bruising and ptosis" in ConsentSignature.objects.get().version.text

    def test_a_valid_earlier_signature_of_the_same_version_covers_a_new_visit(
        self, cast, visit, world, provider
    ):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            pay(visit, cast.provider_a1, "300")
            second = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            charting.visit_service_add(visit=second, service=world.service)
            assert charts.consents_needed(second)[0].is_covered
            pay(second, cast.provider_a1, "300")
            assert VisitConsent.objects.get(visit=second).signed_in_visit is False
            assert ConsentSignature.objects.count() == 1

    def test_a_signature_older_than_a_year_does_not_cover(self, cast, visit, world, provider):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            later = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            charting.visit_service_add(visit=later, service=world.service)
            assert charts.consents_needed(later)[0].is_covered
            type(later).objects.filter(pk=later.pk).update(started_at=timezone.now() + timedelta(days=366))
            later.refresh_from_db()
            assert not charts.consents_needed(later)[0].is_covered


class TestChartLock:
    def test_a_signed_chart_is_locked_in_the_service_layer_and_the_database(self, cast, visit, world):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            charting.visit_notes_save(visit=visit, notes="20 units glabella.")
            charting.chart_sign(visit=visit, by=cast.provider_a1)
            with pytest.raises(ChartingRefused, match="locked"):
                charting.visit_notes_save(visit=visit, notes="changed")
            with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
                type(visit).objects.filter(pk=visit.pk).update(notes="changed behind its back")
            with pytest.raises(IntegrityError), transaction.atomic():
                VisitService.objects.filter(visit=visit).delete()
            with pytest.raises(IntegrityError), transaction.atomic():
                VisitProduct.objects.create(
                    medspa=cast.medspa_a, visit=visit, name="Toxin", units=2, unit_price=0, lot_number="L1",
                    expires_on=factories.medspa_today(cast.medspa_a) + timedelta(days=30),
                )  # fmt: skip

    def test_addenda_are_signed_timestamped_and_never_changed(self, cast, visit):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            with pytest.raises(ChartingRefused, match="not signed yet"):
                charting.chart_addendum_add(visit=visit, text="x", by=cast.provider_a1)
            charting.chart_sign(visit=visit, by=cast.provider_a1)
            addendum = charting.chart_addendum_add(
                visit=visit, text="Patient called: mild bruising.", by=cast.provider_a1
            )
            assert addendum.signed_by == cast.provider_a1 and addendum.signed_at
            with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
                ChartAddendum.objects.filter(pk=addendum.pk).update(text="rewritten")

    def test_only_the_visits_provider_signs(self, cast, visit):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            with pytest.raises(ChartingRefused, match="Only the provider"):
                charting.chart_sign(visit=visit, by=cast.admin_a)

    def test_an_expired_lot_is_refused(self, visit):
        with medspa_scope(visit.medspa), pytest.raises(ChartingRefused, match="expired"):
            charting.visit_product_add(
                visit=visit, name="Toxin", units=Decimal("20"), lot_number="C1234",
                expires_on=factories.medspa_today(visit.medspa) - timedelta(days=2),
            )  # fmt: skip


class TestMoney:
    def test_split_payment_discount_tip_and_products(self, cast, visit):
        with medspa_scope(cast.medspa_a):
            charting.visit_product_add(
                visit=visit,
                name="Toxin",
                units=Decimal("24"),
                unit_price=Decimal("12.50"),
                lot_number="C1234",
                expires_on=factories.medspa_today(visit.medspa) + timedelta(days=60),
            )
            factories.consent_sign(visit, cast.provider_a1)
            with pytest.raises(CheckoutRefused, match=r"\$90.00 short of the total \(\$610.00\)"):
                checkout.visit_checkout(
                    visit=visit,
                    tenders=[Tender("card", Decimal("520"))],
                    by=cast.provider_a1,
                    discount=Decimal("30"),
                    discount_reason="Loyalty",
                    tip=Decimal("40"),
                )
            sale = checkout.visit_checkout(
                visit=visit,
                by=cast.provider_a1,
                discount=Decimal("30"),
                discount_reason="Loyalty",
                tip=Decimal("40"),
                tenders=[
                    Tender("card", Decimal("320")),
                    Tender("cash", Decimal("100")),
                    Tender("financing", Decimal("150"), "Cherry 12 mo"),
                    Tender("gift_credit", Decimal("40")),
                ],
            )
            assert (sale.subtotal, sale.discount, sale.tip, sale.total) == (
                Decimal("600.00"),
                Decimal("30.00"),
                Decimal("40.00"),
                Decimal("610.00"),
            )
            assert sale.payments.aggregate(total=Sum("amount"))["total"] == sale.total
            visit.refresh_from_db()
            assert visit.status == VisitStatus.COMPLETED
            assert visit.appointment.status == AppointmentStatus.COMPLETED
            with pytest.raises(CheckoutRefused, match="cannot be charged again"):
                pay(visit, cast.provider_a1, "610")

    def test_flex_split_and_refunds_give_back_exactly_what_the_sale_took(self, cast, visit):
        with medspa_scope(cast.medspa_a):
            medspa = cast.medspa_a
            medspa.business_model, medspa.flex_revenue_split_percent = BusinessModel.FLEX, Decimal("12.50")
            medspa.save()
            factories.consent_sign(visit, cast.provider_a1)
            sale = checkout.visit_checkout(
                visit=visit,
                by=cast.provider_a1,
                tip=Decimal("33.33"),
                discount=Decimal("0.01"),
                discount_reason="x",
                tenders=[Tender("card", Decimal("200")), Tender("cash", Decimal("133.32"))],
            )
            assert sale.revenue == Decimal("299.99")
            assert sale.portrait_share == Decimal("37.50")  # 12.5 % of 299.99 = 37.49875
            card, cash = sale.payments.order_by("amount")[1], sale.payments.order_by("amount")[0]

            def refund(payment, amount, key, reason="treatment redone"):
                return checkout.sale_refund(
                    sale=sale, payment=payment, amount=Decimal(amount), reason=reason, by=cast.admin_a,
                    idempotency_key=key,
                )  # fmt: skip

            refund(card, "0.07", "a", "goodwill")
            refund(card, "0.07", "a", "goodwill")
            assert Refund.objects.count() == 1
            with pytest.raises(CheckoutRefused, match=r"At most \$199.93"):
                refund(card, "200", "b", "x")
            refund(card, "199.93", "c")
            refund(cash, "133.32", "d")
            refunds = Refund.objects.aggregate(
                amount=Sum("amount"), tip=Sum("tip_part"), tax=Sum("tax_part"), portrait=Sum("portrait_part")
            )
            assert refunds == {
                "amount": sale.total,
                "tip": sale.tip,
                "tax": sale.tax,
                "portrait": sale.portrait_share,
            }
            with pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
                Payment.objects.filter(sale=sale).update(amount=1)


class TestRetail:
    @pytest.fixture
    def products(self, cast, world):
        world.location.sales_tax_percent = Decimal("8.875")
        world.location.save()
        serum = factories.retail_product(cast.medspa_a, "Serum", "S1", "89.99", taxable=True)
        gift = factories.retail_product(cast.medspa_a, "Gift box", "G1", "25", taxable=False)
        return serum, gift

    def test_cart_tax_discount_split_payment_and_receipt(
        self, cast, world, provider, products, django_capture_on_commit_callbacks
    ):
        with medspa_scope(cast.medspa_a):
            serum, gift = products
            sale = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
            checkout.retail_line_set(sale=sale, product=serum, quantity=Decimal("2"))
            checkout.retail_line_set(sale=sale, product=gift, quantity=Decimal("1"))
            checkout.retail_line_set(sale=sale, product=gift, quantity=Decimal("1"))
            sale.refresh_from_db()
            assert sale.subtotal == Decimal("204.98") and sale.tax == Decimal("15.97")  # 8.875 % of 179.98
            # A $20 discount: the taxable share of it is 20 × 179.98 / 204.98 = 17.56;
            # 8.875 % of 162.42 = 14.41.
            with django_capture_on_commit_callbacks(execute=True):
                sale = checkout.retail_checkout(
                    sale=sale, by=cast.provider_a1, discount=Decimal("20"), discount_reason="Promo",
                    receipt_email="buyer@mail.example",
                    tenders=[Tender("card", Decimal("100")), Tender("cash", Decimal("99.39"))],
                )  # fmt: skip
            assert (
                sale.status == SaleStatus.PAID
                and sale.tax == Decimal("14.41")
                and sale.total == Decimal("199.39")
            )
            assert (
                len(mail.outbox) == 1 and "S-" in mail.outbox[0].subject and "$199.39" in mail.outbox[0].body
            )
            checkout.sale_receipt_send(sale_id=sale.pk)
            assert len(mail.outbox) == 1
            with pytest.raises(CheckoutRefused, match="already paid"):
                checkout.retail_line_set(sale=sale, product=serum, quantity=Decimal("1"))

    def test_an_empty_cart_and_a_fractional_quantity_are_refused(self, cast, world, provider, products):
        with medspa_scope(cast.medspa_a):
            sale = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
            with pytest.raises(CheckoutRefused, match="empty"):
                checkout.retail_checkout(sale=sale, by=cast.provider_a1, tenders=[])
            with pytest.raises(CheckoutRefused, match="whole number"):
                checkout.retail_line_set(sale=sale, product=products[0], quantity=Decimal("1.5"))


class TestCareMessages:
    def test_sent_once_per_channel_on_completion_and_logged(
        self, cast, visit, django_capture_on_commit_callbacks
    ):
        with medspa_scope(cast.medspa_a):
            sms.outbox.clear()
            factories.consent_sign(visit, cast.provider_a1)
            with django_capture_on_commit_callbacks(execute=True):
                pay(visit, cast.provider_a1, "300")
            assert len(mail.outbox) == 1 and "Stay upright" in mail.outbox[0].body
            assert len(sms.outbox) == 1
            assert care_messages.visit_care_messages_send(visit_id=visit.pk) == 0
            assert len(mail.outbox) == 1
            assert set(CareMessageLog.objects.values_list("channel", "status")) == {
                ("email", "sent"),
                ("sms", "sent"),
            }

    def test_the_placeholders_are_filled_by_email_and_sms(
        self, cast, visit, django_capture_on_commit_callbacks
    ):
        with medspa_scope(cast.medspa_a):
            care = visit.services.get().service.care_messages.get()
            texts.text_revise(
                document=care, by=None,
                text="Hi {patient_first_name}, thanks for visiting {medspa_name}."
                " Stay upright for 4 hours {x}.",
            )  # fmt: skip
            sms.outbox.clear()
            factories.consent_sign(visit, cast.provider_a1)
            with django_capture_on_commit_callbacks(execute=True):
                pay(visit, cast.provider_a1, "300")
            filled = f"Hi {visit.patient.first_name}, thanks for visiting {cast.medspa_a.display_name}."
            assert filled in mail.outbox[0].body and filled in sms.outbox[0]["body"]
            assert "{x}" in mail.outbox[0].body  # not a placeholder: left as written

    def test_a_failure_is_logged_and_resent_by_hand_once(self, cast, visit, monkeypatch):
        with medspa_scope(cast.medspa_a):
            factories.consent_sign(visit, cast.provider_a1)
            pay(visit, cast.provider_a1, "300")

            def broken(self, to, body, **options):
                raise sms.SmsError("gateway timeout")

            monkeypatch.setattr(sms.LocmemSmsBackend, "send", broken)
            care_messages.visit_care_messages_send(visit_id=visit.pk)
            failed = CareMessageLog.objects.get(channel="sms")
            assert failed.status == "failed" and failed.detail == "gateway timeout"
            monkeypatch.undo()
            sms.outbox.clear()
            assert care_messages.care_message_resend(log=failed) is True
            assert care_messages.care_message_resend(log=failed) is False
            assert len(sms.outbox) == 1
