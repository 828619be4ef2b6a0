"""The edges of charting and checkout: a chart signed before it is paid, clearances that expire after the
visit, a visit charted days after its appointment, amounts too large for a sale, refunds of a few cents,
double submits, and care messages resent to a patient who opted out since."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from gfe.models import Clearance, ClearanceStatus
from medspa import clock
from medspa.messaging import sms
from medspa.money import cents
from medspa.tenancy import medspa_scope
from providers.models import CareMessageLog, Refund, Sale, VisitStatus
from providers.selectors import charts
from providers.services import care_messages, charting, checkout
from providers.services.charting import ChartingRefused
from providers.services.settlement import CheckoutRefused, Tender
from scheduling.models import AppointmentStatus
from services_catalog.services import catalog, texts
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]


def started(world, provider, user, *, days_ago=0):
    appointment = factories.checked_in_appointment(
        world, provider, start=(timezone.now() - timedelta(days=days_ago, minutes=5)).replace(microsecond=0)
    )
    return charting.visit_start_from_appointment(appointment=appointment, by=user)


def consent(visit, user):
    version = charts.consents_needed(visit)[0].version
    charting.visit_consent_sign(
        visit=visit, version=version, signature_png=factories.png_signature(), by=user, ip=None
    )


def card(amount):
    return [Tender("card", Decimal(amount))]


class TestSignedBeforePaid:
    def test_a_consent_revised_after_signing_does_not_stop_the_checkout(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            consent(visit, cast.provider_a1)
            charting.chart_sign(visit=visit, by=cast.provider_a1)
            texts.text_revise(document=world.consent, text="A newer text of the consent.", by=None)
            sale = checkout.visit_checkout(visit=visit, tenders=card("300"), by=cast.provider_a1)
            assert sale.total == Decimal("300.00")

    def test_a_clearance_expired_by_the_nightly_job_after_the_visit_still_covers_it(
        self, cast, world, provider
    ):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            consent(visit, cast.provider_a1)
            Clearance.objects.filter(patient=world.patient).update(
                status=ClearanceStatus.EXPIRED, valid_until=charts.visit_day(visit)
            )
            checkout.visit_checkout(visit=visit, tenders=card("300"), by=cast.provider_a1)


class TestChartedLater:
    def test_the_visit_day_is_the_appointments_and_so_is_the_charts_age(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1, days_ago=10)
            assert charts.visit_day(visit) == visit.appointment.local_start.date()
            assert charts.chart_overdue(visit)
            # A lot still good on the day of the treatment is accepted, though it has expired since.
            charting.visit_product_add(
                visit=visit, name="Toxin", units=Decimal("20"), lot_number="C1",
                expires_on=charts.visit_day(visit) + timedelta(days=2),
            )  # fmt: skip

    def test_a_voided_visit_frees_its_appointment_for_a_new_one(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            appointment = visit.appointment
            charting.visit_void(visit=visit, reason="Started on the wrong patient", by=cast.provider_a1)
            visit.refresh_from_db()
            assert visit.status == VisitStatus.VOIDED and visit.appointment is None
            assert f"appointment {appointment.pk}" in visit.void_reason
            again = charting.visit_start_from_appointment(appointment=appointment, by=cast.provider_a1)
            assert again.pk != visit.pk and again.status == VisitStatus.OPEN


class TestBounds:
    def test_a_tip_too_large_for_a_sale_is_refused_not_a_server_error(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            consent(visit, cast.provider_a1)
            with pytest.raises(CheckoutRefused, match="more than one sale can hold"):
                checkout.visit_checkout(
                    visit=visit, by=cast.provider_a1, tip=Decimal("99999999.99"),
                    tenders=[Tender("card", Decimal("99999999.99")), Tender("cash", Decimal("300"))],
                )  # fmt: skip

    def test_units_times_price_too_large_is_refused(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            with pytest.raises(ChartingRefused, match="more than one charge"):
                charting.visit_product_add(
                    visit=visit, name="Toxin", units=Decimal("1000"), unit_price=Decimal("100000"),
                    lot_number="C1", expires_on=factories.medspa_today(visit.medspa) + timedelta(days=30),
                )  # fmt: skip

    def test_money_is_never_a_float(self):
        with pytest.raises(TypeError):
            cents(1.005)
        assert cents("1.005") == Decimal("1.01")


class TestRefundCents:
    def test_small_refunds_never_make_revenue_negative_and_a_whole_refund_is_exact(
        self, cast, world, provider
    ):
        with medspa_scope(cast.medspa_a):
            medspa = cast.medspa_a
            medspa.business_model, medspa.flex_revenue_split_percent = "flex", Decimal("20")
            medspa.save()
            world.location.sales_tax_percent = Decimal("8.25")
            world.location.save()
            product = catalog.product_save(
                medspa=medspa, data={"name": "Serum", "sku": "E1", "price": Decimal("100"), "is_active": True}
            )
            sale = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
            checkout.retail_line_set(sale=sale, product=product, quantity=Decimal("1"))
            sale = checkout.retail_checkout(
                sale=sale, by=cast.provider_a1, tip=Decimal("5.07"), tenders=card("113.32")
            )
            payment = sale.payments.get()
            amounts = ["2.12", "0.01", "0.01", "0.03", "50", "61.15"]
            for number, amount in enumerate(amounts):
                checkout.sale_refund(sale=sale, payment=payment, amount=Decimal(amount), reason="x",
                                     by=cast.admin_a, idempotency_key=str(number))  # fmt: skip
            for refund in Refund.objects.all():
                assert refund.revenue_part >= 0 and refund.portrait_part >= 0
            totals = Refund.objects.aggregate(
                amount=Sum("amount"), tax=Sum("tax_part"), tip=Sum("tip_part"), portrait=Sum("portrait_part")
            )
            assert totals == {
                "amount": sale.total,
                "tax": sale.tax,
                "tip": sale.tip,
                "portrait": sale.portrait_share,
            }


class TestDoubleSubmits:
    def test_starting_the_same_walk_in_twice_gives_one_visit(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            first = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            second = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            assert first.pk == second.pk

    def test_opening_a_cart_twice_gives_one_and_adding_counts_what_it_holds(self, cast, world, provider):
        with medspa_scope(cast.medspa_a):
            product = catalog.product_save(
                medspa=cast.medspa_a,
                data={"name": "Serum", "sku": "E2", "price": Decimal("10"), "is_active": True},
            )
            first = checkout.retail_sale_open(provider=provider, location=world.location, by=cast.provider_a1)
            second = checkout.retail_sale_open(
                provider=provider, location=world.location, by=cast.provider_a1
            )
            assert first.pk == second.pk and Sale.objects.count() == 1
            checkout.retail_line_add(sale=first, product=product, quantity=Decimal("1"))
            checkout.retail_line_add(sale=second, product=product, quantity=Decimal("1"))
            assert first.lines.get().quantity == 2


class TestResend:
    @pytest.fixture
    def failed(self, cast, world, provider, monkeypatch):
        def broken(self, to, body, **options):
            raise sms.SmsError("gateway timeout")

        with medspa_scope(cast.medspa_a):
            visit = started(world, provider, cast.provider_a1)
            consent(visit, cast.provider_a1)
            checkout.visit_checkout(visit=visit, tenders=card("300"), by=cast.provider_a1)
            monkeypatch.setattr(sms.LocmemSmsBackend, "send", broken)
            care_messages.visit_care_messages_send(visit_id=visit.pk)
            monkeypatch.undo()
            return CareMessageLog.objects.get(channel="sms", status=CareMessageLog.Status.FAILED)

    def test_a_patient_who_opted_out_since_is_not_texted(self, failed, world):
        with medspa_scope(failed.medspa_id):
            world.patient.consent_sms = False
            world.patient.save()
            assert care_messages.care_message_resend(log=failed) is False
            failed.refresh_from_db()
            assert (
                failed.status == CareMessageLog.Status.SKIPPED and failed.detail == "patient opted out of SMS"
            )
            assert sms.outbox == []

    def test_a_message_stuck_sending_can_be_sent_again_but_not_a_fresh_one(self, failed):
        with medspa_scope(failed.medspa_id):
            CareMessageLog.objects.filter(pk=failed.pk).update(status=CareMessageLog.Status.PENDING)
            assert care_messages.care_message_resend(log=failed) is False
            CareMessageLog.objects.filter(pk=failed.pk).update(
                updated_at=timezone.now() - timedelta(minutes=20)
            )
            assert care_messages.care_message_resend(log=failed) is True
            assert len(sms.outbox) == 1


def test_a_completed_appointment_is_not_rechecked_in(cast, world, provider):
    with medspa_scope(cast.medspa_a):
        visit = started(world, provider, cast.provider_a1, days_ago=2)
        consent(visit, cast.provider_a1)
        checkout.visit_checkout(visit=visit, tenders=card("300"), by=cast.provider_a1)
        visit.appointment.refresh_from_db()
        assert visit.appointment.status == AppointmentStatus.COMPLETED
        assert clock.today(cast.medspa_a) >= charts.visit_day(visit)
