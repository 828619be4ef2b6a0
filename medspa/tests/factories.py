"""Factories for the medspa app's models that tests/factories.py does not build (the cast's: Medspa, User,
Membership, ProviderProfile, ProviderLicence, Patient, Invitation)."""

from decimal import Decimal

import factory
from django.utils import timezone

from medspa.models import (
    ApiToken,
    CardPayment,
    CardRefund,
    Dispute,
    MasqueradeEvent,
    MedicalDirectorRequest,
    PatientAccessLog,
    PatientImport,
    PatientProvider,
    SavedCard,
    StripeAccount,
    StripeCustomer,
    StripeEvent,
    TextMessage,
    TextThread,
    UserSession,
)
from tests.factories import (
    MedspaFactory,
    MembershipFactory,
    PatientFactory,
    TenantFactory,
    UserFactory,
)


class ApiTokenFactory(TenantFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "Reports export"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance, _token = model_class.objects.create(*args, **kwargs)  # knox: (row, the token shown once)
        return instance


class MedicalDirectorRequestFactory(TenantFactory):
    class Meta:
        model = MedicalDirectorRequest

    medspa = factory.SubFactory(MedspaFactory)
    requested_by = factory.SubFactory(UserFactory)


class PatientProviderFactory(TenantFactory):
    class Meta:
        model = PatientProvider

    patient = factory.SubFactory(PatientFactory)
    membership = factory.SubFactory(MembershipFactory, medspa=factory.SelfAttribute("..patient.medspa"))


class PatientImportFactory(TenantFactory):
    class Meta:
        model = PatientImport

    medspa = factory.SubFactory(MedspaFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    filename = "patients.csv"
    rows = factory.LazyFunction(
        lambda: [
            {
                "line": 2,
                "data": {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1985-12-10"},
                "errors": [],
                "duplicate_of": "",
            }
        ]
    )


class PatientAccessLogFactory(TenantFactory):
    class Meta:
        model = PatientAccessLog

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    actor = factory.SubFactory(UserFactory)
    viewed = "chart"


class MasqueradeEventFactory(TenantFactory):
    class Meta:
        model = MasqueradeEvent

    medspa = factory.SubFactory(MedspaFactory)
    action = MasqueradeEvent.Action.START
    actor = factory.SubFactory(UserFactory, is_staff=True)
    target = factory.SubFactory(UserFactory)


class UserSessionFactory(TenantFactory):
    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    session_key = factory.Sequence(lambda n: f"session{n:032d}")


class TextThreadFactory(TenantFactory):
    class Meta:
        model = TextThread

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    phone = factory.Sequence(lambda n: f"+1619555{n % 10000:04d}")
    last_message_at = factory.LazyFunction(timezone.now)


class TextMessageFactory(TenantFactory):
    class Meta:
        model = TextMessage

    thread = factory.SubFactory(TextThreadFactory)
    medspa = factory.SelfAttribute("thread.medspa")
    direction = TextMessage.Direction.INBOUND
    from_number = factory.SelfAttribute("thread.phone")
    to_number = "+16195550100"
    body = "Can I move my appointment to Friday?"
    provider_sid = factory.Sequence(lambda n: f"SM{n:032d}")


# --- Payments through Stripe: rows as the core writes them (no call to Stripe here). -----------------------


class StripeAccountFactory(TenantFactory):
    class Meta:
        model = StripeAccount

    medspa = factory.SubFactory(MedspaFactory)
    account_id = factory.Sequence(lambda n: f"acct_test{n:08d}")
    charges_enabled = True
    payouts_enabled = True
    details_submitted = True


class StripeCustomerFactory(TenantFactory):
    """A patient's customer on the medspa's connected account."""

    class Meta:
        model = StripeCustomer

    medspa = factory.SubFactory(MedspaFactory)
    patient = factory.SubFactory(PatientFactory, medspa=factory.SelfAttribute("..medspa"))
    account_id = factory.Sequence(lambda n: f"acct_test{n:08d}")
    customer_id = factory.Sequence(lambda n: f"cus_test{n:08d}")


class SavedCardFactory(TenantFactory):
    class Meta:
        model = SavedCard

    medspa = factory.SubFactory(MedspaFactory)
    customer = factory.SubFactory(StripeCustomerFactory, medspa=factory.SelfAttribute("..medspa"))
    payment_method_id = factory.Sequence(lambda n: f"pm_test{n:08d}")
    brand = "visa"
    last4 = "4242"
    exp_month = 12
    exp_year = 2030
    via = SavedCard.Via.ONLINE


class CardPaymentFactory(TenantFactory):
    """A card payment Stripe accepted."""

    class Meta:
        model = CardPayment

    medspa = factory.SubFactory(MedspaFactory)
    purpose = CardPayment.Purpose.CHECKOUT
    card = factory.SubFactory(SavedCardFactory, medspa=factory.SelfAttribute("..medspa"))
    customer = factory.SelfAttribute("card.customer")
    account_id = factory.SelfAttribute("card.customer.account_id")
    payment_method_id = factory.SelfAttribute("card.payment_method_id")
    card_brand = "visa"
    card_last4 = "4242"
    amount = Decimal("100.00")
    description = "Visit"
    idempotency_key = factory.Sequence(lambda n: f"payment-{n}")
    payment_intent_id = factory.Sequence(lambda n: f"pi_test{n:08d}")
    charge_id = factory.Sequence(lambda n: f"ch_test{n:08d}")
    status = CardPayment.Status.SUCCEEDED
    succeeded_at = factory.LazyFunction(timezone.now)


class CardRefundFactory(TenantFactory):
    class Meta:
        model = CardRefund

    medspa = factory.SubFactory(MedspaFactory)
    payment = factory.SubFactory(CardPaymentFactory, medspa=factory.SelfAttribute("..medspa"))
    amount = Decimal("10.00")
    reason = "Refund"
    idempotency_key = factory.Sequence(lambda n: f"refund-{n}")
    refund_id = factory.Sequence(lambda n: f"re_test{n:08d}")
    status = CardRefund.Status.SUCCEEDED
    succeeded_at = factory.LazyFunction(timezone.now)


class StripeEventFactory(TenantFactory):
    class Meta:
        model = StripeEvent

    event_id = factory.Sequence(lambda n: f"evt_test{n:08d}")
    type = "payment_intent.succeeded"
    created = factory.LazyFunction(timezone.now)
    payload = factory.LazyAttribute(lambda event: {"id": event.event_id, "type": event.type, "data": {}})


class DisputeFactory(TenantFactory):
    class Meta:
        model = Dispute

    medspa = factory.SubFactory(MedspaFactory)
    payment = factory.SubFactory(CardPaymentFactory, medspa=factory.SelfAttribute("..medspa"))
    dispute_id = factory.Sequence(lambda n: f"dp_test{n:08d}")
    charge_id = factory.SelfAttribute("payment.charge_id")
    amount = Decimal("100.00")
    reason = "fraudulent"
    status = "needs_response"
