"""Every URL pattern of the project, requested by each member of the cast, with the status each must get.

A URL pattern missing from the table fails `test_every_url_pattern_is_in_the_table`: every new page or
endpoint must say here who may open it. Django admin's own patterns are one entry (ADMIN): only Portrait
staff get in; everyone else is sent to the admin sign-in.

The API is walked per object too (API_OBJECTS): each member of the cast must find in every list, and open
by id, exactly the objects the pages show them (a provider their own patients and what hangs on them), and
get 404 for any other; every API resource must say so there."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from gfe.services import decisions as gfe_decisions
from gfe.services import requests as gfe_requests
from medspa import clock
from medspa.models import PatientImport, TextThread
from medspa.services.accounts import api_token_create
from medspa.tenancy import medspa_scope
from scheduling.models import AvailabilityOverride, AvailabilityRule, Closure, Location
from scheduling.selectors.paperwork import paperwork_token
from scheduling.services import booking
from scheduling.services import settings as settings_services
from services_catalog.models import CareMessage, Consent, StandingOrder
from services_catalog.services import catalog, intake_forms, texts
from services_catalog.tests.factories import INTAKE_SECTIONS
from tests import factories
from tests.fixtures import CAST_NAMES

OK, FOUND, FORBIDDEN, NOT_FOUND, GONE, NOT_ALLOWED = 200, 302, 403, 404, 410, 405


@dataclass
class Row:
    """statuses: admin_a, provider_a1, provider_a2, admin_b, provider_b, staff, anonymous."""

    statuses: tuple[int, ...]
    method: str = "get"
    kwargs: object = field(default=dict)  # a callable of the world: the URL's real arguments
    data: dict = field(default_factory=dict)


def everyone(status):
    return (status,) * len(CAST_NAMES)


MEMBERS_ONLY = (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN)  # API: members with MFA; staff have no medspa
# The Medspa Admin dashboard: admins of either medspa; providers 403; staff have no medspa; anonymous sign in.
ADMIN_PAGE = (OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FOUND)
ADMIN_POST = (FOUND, FORBIDDEN, FORBIDDEN, FOUND, FORBIDDEN, FORBIDDEN, FOUND)
# A thing of medspa A in the admin dashboard: its admin only; medspa B's admin gets 404.
ADMIN_A_THING = (OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FOUND)
ADMIN_A_THING_POST = (FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FOUND)
# The Provider dashboard: providers (admin_a is also one; admin_b is not).
PROVIDER_PAGE = (OK, OK, OK, FORBIDDEN, OK, FORBIDDEN, FOUND)
MEMBER_PAGE = (OK, OK, OK, OK, OK, FORBIDDEN, FOUND)
BAD_REQUEST = 400
CREATED = 201
# A thing of medspa A through the API: medspa A's members read it; medspa B's get 404.
A_API_THING = (OK, OK, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN)
# provider_a1's own thing through the API: the admin and provider_a1 read it; other providers 404.
OWN_API_THING = (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN)
# A patient of medspa A looked after by admin_a and provider_a1: their provider pages open to those two.
GFE_PROVIDER_PAGE = (OK, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND)
# A POST without its form data to a thing of medspa A: its admin gets the form back with errors (400).
BAD_POST = (BAD_REQUEST, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FOUND)
ADMINS_AND_PROVIDERS_API = (OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN)
# provider_a1's own thing in the Provider dashboard (a visit, a sale): only they open it; admin_a, although a
# provider too, and every other provider get 404, as if it did not exist.
A1_THING = (NOT_FOUND, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND)
STAFF_PAGE = (FORBIDDEN,) * 5 + (OK, FOUND)
A1_THING_POST = (NOT_FOUND, FOUND, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND)
A1_THING_OK_POST = (NOT_FOUND, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND)
A1_THING_BAD_POST = (NOT_FOUND, BAD_REQUEST, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND)


def STAFF_ONLY(status: int) -> tuple[int, ...]:  # noqa: N802 (reads as the constants above)
    """A staff POST: members get 403, staff `status`, the anonymous sign in."""
    return (FORBIDDEN,) * 5 + (status, FOUND)


TABLE: dict[str, Row] = {
    "home": Row((FOUND,) * 5 + (OK, FOUND)),  # members are sent to their dashboard; staff get a page
    "healthz": Row(everyone(OK)),
    "livez": Row(everyone(OK)),
    "readyz": Row(everyone(OK)),
    # Stripe's events: a POST without Stripe's signature is refused (400), whoever makes it.
    "stripe_webhook": Row(everyone(BAD_REQUEST), method="post"),
    "stripe_connect_webhook": Row(everyone(BAD_REQUEST), method="post"),
    "favicon": Row(everyone(FOUND)),
    # Twilio's delivery receipts: a call without Twilio's signature is refused, whoever makes it.
    "twilio_status": Row(
        everyone(FORBIDDEN), method="post", kwargs=lambda w: {"label": "scheduling.notificationlog", "pk": 1}
    ),
    "invitation_list": Row((OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FOUND)),
    # An invitation of medspa A: its admin revokes it; medspa B's admin gets 404, not a hint it exists.
    "invitation_revoke": Row(
        (FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w["invitation"].pk},
    ),
    # The emailed link opens for anyone holding it; an unknown token is 404.
    "invitation_accept": Row(everyone(OK), kwargs=lambda w: {"token": w["invitation"].token}),
    # allauth: sign-in and reset pages are open; a signed-in person is sent on from the sign-in pages.
    "account_login": Row((FOUND,) * 6 + (OK,)),
    "account_logout": Row((OK,) * 6 + (FOUND,)),
    "account_inactive": Row(everyone(OK)),
    "account_signup": Row((FOUND,) * 6 + (OK,)),  # shows "sign-up is closed" to the anonymous
    "account_reauthenticate": Row((OK,) * 6 + (FOUND,)),
    "account_request_reauthentication_code": Row((OK,) * 6 + (FOUND,)),
    "account_confirm_reauthentication_code": Row((FOUND,) * 6 + (FOUND,)),
    "account_email": Row((OK,) * 6 + (FOUND,)),
    "account_email_verification_sent": Row(everyone(OK)),
    "account_change_password": Row((OK,) * 6 + (FOUND,)),
    "account_set_password": Row((FOUND,) * 6 + (FOUND,)),
    "account_reset_password": Row(everyone(OK)),
    "account_confirm_login_code": Row(everyone(FOUND)),
    "account_confirm_email": Row(everyone(OK), kwargs=lambda w: {"key": "not-a-real-key"}),
    "account_reset_password_from_key_done": Row(everyone(OK)),
    "account_reset_password_from_key": Row(everyone(OK), kwargs=lambda w: {"uidb36": "1", "key": "x-y"}),
    "account_reset_password_done": Row(everyone(OK)),
    "mfa_index": Row((OK,) * 6 + (FOUND,)),
    "mfa_authenticate": Row(everyone(FOUND)),  # only during a sign-in's second stage
    "mfa_reauthenticate": Row((OK,) * 6 + (FOUND,)),
    "mfa_activate_totp": Row((FOUND,) * 6 + (FOUND,)),  # already enrolled: sent back to the MFA page
    "mfa_deactivate_totp": Row((FOUND,) * 6 + (FOUND,)),  # asks for re-authentication first
    "mfa_view_recovery_codes": Row((FOUND,) * 6 + (FOUND,)),
    "mfa_generate_recovery_codes": Row((FOUND,) * 6 + (FOUND,)),
    "mfa_download_recovery_codes": Row((FOUND,) * 6 + (FOUND,)),
    # Dashboards
    "dashboard_home": Row(ADMIN_PAGE),
    "dashboard_switch": Row(everyone(FOUND), method="post", data={"to": "provider"}),
    "onboarding": Row(ADMIN_PAGE),
    "dashboard_patients": Row(ADMIN_PAGE),
    "dashboard_patient_create": Row(ADMIN_PAGE),
    "dashboard_patient_detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["patient"].pk}),
    "dashboard_patient_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["patient"].pk}),
    "dashboard_patient_archive": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["patient"].pk}
    ),
    # The patient's card on file (assigned to provider_a1): medspa A's admin and provider_a1 only.
    "dashboard_patient_card": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND), kwargs=lambda w: {"pk": w["patient"].pk}
    ),
    # A record flagged as a possible duplicate: its medspa's admin compares, merges or keeps both.
    "dashboard_patient_merge": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["flagged_patient"].pk}),
    "dashboard_patient_not_a_duplicate": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["flagged_patient"].pk}
    ),
    "dashboard_patient_import": Row(ADMIN_PAGE),
    "dashboard_patient_import_preview": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["patient_import"].pk}),
    "dashboard_providers": Row(ADMIN_PAGE),
    # The texting inbox: every member opens their own (admins all threads, providers their patients'); a
    # thread of a patient looked after by provider_a1 opens to medspa A's admin and to provider_a1 only.
    "texting_inbox": Row(MEMBER_PAGE),
    # The top bar's search: every member, in their dashboard (each finds only what they may open there).
    "search": Row(MEMBER_PAGE),
    "texting_unread": Row(MEMBER_PAGE),
    "texting_thread": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"pk": w["text_thread"].pk},
    ),
    # Twilio's webhook: nothing unsigned gets in, whoever sends it.
    "twilio_inbound": Row(everyone(FORBIDDEN), method="post"),
    "account_settings": Row(ADMIN_PAGE),
    "settings_business": Row(
        ADMIN_POST,
        method="post",
        data={
            "shipping_line1": "1 Main St",
            "shipping_city": "San Diego",
            "shipping_state": "CA",
            "shipping_postal_code": "92101",
            "time_zone": "America/Los_Angeles",
        },
    ),
    "settings_addons": Row(ADMIN_POST, method="post", data={"addon_charting": "on"}),
    # Medspa A's physician: medspa B's admin cannot choose them (a form error, nothing saved).
    "settings_medical_director": Row(
        (FOUND, FORBIDDEN, FORBIDDEN, BAD_REQUEST, FORBIDDEN, FORBIDDEN, FOUND),
        method="post",
        data=None,  # {"director": admin_a's membership}, made in the test
    ),
    "settings_medical_director_request": Row(ADMIN_POST, method="post", data={"physician_name": "Dr. Lee"}),
    "settings_member": Row(
        ADMIN_A_THING_POST,
        method="post",
        kwargs=lambda w: {"pk": w["provider_a1_membership"].pk, "action": "grant-admin"},
    ),
    # Account settings → Payments. Stripe is not set up in this walk: each page sends the admin back to
    # Account settings saying so (their work with Stripe: medspa/tests/test_payments_settings.py).
    "settings_payments_connect": Row(ADMIN_POST, method="post", data={"account_type": "standard"}),
    "settings_payments_return": Row(ADMIN_POST),
    "settings_payments_refresh": Row(ADMIN_POST),
    "settings_payments_card": Row(ADMIN_POST),
    # Medspa A's card for Portrait's bills: medspa B's admin gets 404.
    "settings_payments_card_remove": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["bills_card"].pk}
    ),
    # admin_a's own API tokens: medspa B's admin (who has none of theirs by that id) gets 404.
    "api_token_list": Row(ADMIN_PAGE),
    "api_token_revoke": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"digest": w["api_token"].digest}
    ),
    "scheduling:home": Row(ADMIN_PAGE),
    "scheduling:location_create": Row(ADMIN_PAGE),
    "scheduling:location_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["location"].pk}),
    "gfe:home": Row(ADMIN_PAGE),
    # Inventory: Portrait's catalog is the same for every medspa; orders are the medspa's own.
    "inventory_orders:home": Row(ADMIN_PAGE),
    "inventory_orders:product": Row(ADMIN_PAGE, kwargs=lambda w: {"pk": w["catalog_product"].pk}),
    "inventory_orders:product_pricing_issue": Row(
        ADMIN_POST, method="post", kwargs=lambda w: {"pk": w["catalog_product"].pk}, data={"message": "High"}
    ),
    "inventory_orders:cart": Row(ADMIN_PAGE),
    "inventory_orders:cart_add": Row(ADMIN_POST, method="post", data=None),  # the product's pk: in the test
    "inventory_orders:cart_line": Row(ADMIN_POST, method="post", data=None),
    "inventory_orders:checkout": Row(ADMIN_PAGE),
    "inventory_orders:orders": Row(ADMIN_PAGE),
    "inventory_orders:order": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["inventory_order"].pk}),
    "inventory_orders:cancel": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["inventory_order"].pk}
    ),
    "inventory_orders:order_again": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["inventory_order"].pk}
    ),
    "inventory_orders:pricing_issue": Row(
        ADMIN_A_THING_POST,
        method="post",
        kwargs=lambda w: {"pk": w["inventory_order"].pk},
        data={"message": "x"},
    ),
    # Portrait's inventory review: staff only.
    "inventory_staff:list": Row(STAFF_PAGE),
    "inventory_staff:review": Row(STAFF_PAGE, kwargs=lambda w: {"pk": w["inventory_order"].pk}),
    "inventory_staff:issues": Row(STAFF_PAGE),
    "inventory_staff:issue_resolve": Row(
        (FORBIDDEN,) * 5 + (BAD_REQUEST, FOUND), method="post", kwargs=lambda w: {"pk": w["pricing_issue"].pk}
    ),
    "providers:admin_earnings": Row(ADMIN_PAGE),
    "providers:admin_earnings_csv": Row(ADMIN_PAGE),
    "providers:admin_stripe_reconciliation": Row(ADMIN_PAGE),
    "providers:earnings": Row(PROVIDER_PAGE),
    "providers:earnings_csv": Row(PROVIDER_PAGE),
    "providers:patients": Row(PROVIDER_PAGE),
    "providers:todo": Row(PROVIDER_PAGE),
    "providers:calendar": Row(PROVIDER_PAGE),
    "providers:calendar_events": Row(PROVIDER_PAGE, data={"start": "2026-12-07", "end": "2026-12-14"}),
    # Service visits: provider_a1's visit and its rows; a checked-in appointment of theirs to start one from.
    "providers:visit_start": Row(
        A1_THING_POST, method="post", kwargs=lambda w: {"appointment_id": w["checked_in"].pk}
    ),
    "providers:visit_walk_in": Row(A1_THING, kwargs=lambda w: {"pk": w["visit"].patient_id}),
    "providers:visit_detail": Row(A1_THING, kwargs=lambda w: {"pk": w["visit"].pk}),
    "providers:visit_pdf": Row(A1_THING, kwargs=lambda w: {"pk": w["visit"].pk}),
    "providers:visit_photo": Row(
        A1_THING, kwargs=lambda w: {"pk": w["visit"].pk, "photo_id": w["visit_photo"].pk}
    ),
    **{
        f"providers:{name}": Row(A1_THING_BAD_POST, method="post", kwargs=lambda w: {"pk": w["visit"].pk})
        for name in (
            "visit_service_add",
            "visit_product_add",
            "visit_photo_add",
            "visit_checkout",
            "visit_addendum_add",
            "visit_void",
        )
    },  # fmt: skip
    "providers:visit_consent_sign": Row(
        A1_THING_BAD_POST,
        method="post",
        kwargs=lambda w: {"pk": w["visit"].pk, "version_id": w["visit_consent_version"].pk},
    ),
    "providers:visit_notes_save": Row(A1_THING_POST, method="post", kwargs=lambda w: {"pk": w["visit"].pk}),
    "providers:visit_sign": Row(A1_THING_POST, method="post", kwargs=lambda w: {"pk": w["visit"].pk}),
    # The checkout's running total (an htmx partial): worked out for the visit's own provider only.
    "providers:visit_checkout_total": Row(
        A1_THING_OK_POST, method="post", kwargs=lambda w: {"pk": w["visit"].pk}
    ),
    "providers:visit_service_remove": Row(
        A1_THING_POST,
        method="post",
        kwargs=lambda w: {"pk": w["visit"].pk, "row_id": w["visit"].services.get().pk},
    ),
    "providers:visit_product_remove": Row(
        A1_THING_POST,
        method="post",
        kwargs=lambda w: {"pk": w["visit"].pk, "product_id": w["visit_product"].pk},
    ),
    "providers:visit_photo_remove": Row(
        A1_THING_POST,
        method="post",
        kwargs=lambda w: {"pk": w["visit"].pk, "photo_id": w["visit_photo"].pk},
    ),
    # Sales: provider_a1's paid visit sale and open retail cart; the admin sees and refunds any sale.
    "providers:retail_new": Row(PROVIDER_PAGE),
    "providers:sales": Row(PROVIDER_PAGE),
    "providers:sale_detail": Row(A1_THING, kwargs=lambda w: {"pk": w["paid_sale"].pk}),
    "providers:sale_line": Row(A1_THING_BAD_POST, method="post", kwargs=lambda w: {"pk": w["cart"].pk}),
    "providers:sale_total": Row(A1_THING_OK_POST, method="post", kwargs=lambda w: {"pk": w["cart"].pk}),
    "providers:sale_void": Row(A1_THING_POST, method="post", kwargs=lambda w: {"pk": w["cart"].pk}),
    "providers:sale_refund": Row(
        A1_THING_BAD_POST, method="post", kwargs=lambda w: {"pk": w["paid_sale"].pk}
    ),
    # The fee of provider_a1's appointment: its admin and its provider may ask (refused: no fee is due).
    "providers:appointment_fee": Row(
        (FOUND, FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w["appointment"].pk},
    ),
    "providers:admin_sale_detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["paid_sale"].pk}),
    "providers:admin_sale_refund": Row(BAD_POST, method="post", kwargs=lambda w: {"pk": w["paid_sale"].pk}),
    "providers:care_message_resend": Row(
        A1_THING_POST, method="post", kwargs=lambda w: {"pk": w["failed_care_message"].pk}
    ),
    "providers:notification_resend": Row(
        A1_THING_POST, method="post", kwargs=lambda w: {"pk": w["failed_notification"].pk}
    ),
    # A patient assigned to provider_a1: only they open it; everyone else's provider dashboard says 404.
    "providers:patient_detail": Row(
        (NOT_FOUND, OK, NOT_FOUND, FORBIDDEN, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"pk": w["patient"].pk},
    ),
    # A member's own profile.
    "profile": Row(MEMBER_PAGE),
    "profile_signature": Row((BAD_REQUEST,) * 5 + (FORBIDDEN, FOUND), method="post"),
    "licence_add": Row((BAD_REQUEST,) * 5 + (FORBIDDEN, FOUND), method="post"),
    # provider_a1's licence: only they remove it.
    "licence_remove": Row(
        (NOT_FOUND, FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        method="post",
        kwargs=lambda w: {"pk": w["licence"].pk},
    ),
    # provider_a1's signature: colleagues in medspa A see it (on charts); medspa B does not.
    "profile_file": Row(
        (OK, OK, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"membership_id": w["provider_a1_membership"].pk, "kind": "signature"},
    ),
    # Masquerade as provider_a1: their admin and staff may; a colleague is told no; medspa B learns nothing.
    "masquerade_start": Row(
        (OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, OK, FOUND),
        kwargs=lambda w: {"user_id": w["provider_a1_membership"].user_id},
    ),
    "masquerade_stop": Row(everyone(FOUND), method="post"),
    # Services / Products
    "services_catalog:home": Row(ADMIN_PAGE),
    "services_catalog:library": Row(ADMIN_PAGE),
    "services_catalog:library_import": Row(
        ADMIN_POST, method="post", kwargs=lambda w: {"pk": w["library_service"].pk}
    ),
    # medspa B has no custom group yet: its admin is sent to create one first.
    "services_catalog:service_create": Row((OK, FORBIDDEN, FORBIDDEN, FOUND, FORBIDDEN, FORBIDDEN, FOUND)),
    "services_catalog:service_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["service"].pk}),
    "services_catalog:service_activate": Row(
        ADMIN_A_THING_POST, method="post", data={"active": "1"}, kwargs=lambda w: {"pk": w["service"].pk}
    ),
    "services_catalog:group_create": Row(ADMIN_PAGE),
    "services_catalog:group_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["group"].pk}),
    "services_catalog:text_list": Row(ADMIN_PAGE, kwargs=lambda w: {"kind": "consents"}),
    "services_catalog:text_create": Row(ADMIN_PAGE, kwargs=lambda w: {"kind": "care-messages"}),
    "services_catalog:text_detail": Row(
        ADMIN_A_THING, kwargs=lambda w: {"kind": "consents", "pk": w["consent"].pk}
    ),
    # admin_a is medspa A's medical director.
    "services_catalog:standing_order_sign": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["standing_order"].pk}
    ),
    "services_catalog:intake_form_list": Row(ADMIN_PAGE),
    "services_catalog:intake_form_create": Row(ADMIN_PAGE),
    "services_catalog:intake_form_detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["intake_form"].pk}),
    # A Portrait library form: each medspa's admin may copy it into their own forms.
    "services_catalog:intake_form_copy": Row(
        ADMIN_POST, method="post", kwargs=lambda w: {"pk": w["library_intake_form"].pk}
    ),
    "services_catalog:product_list": Row(ADMIN_PAGE),
    "services_catalog:product_create": Row(ADMIN_PAGE),
    "services_catalog:product_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["product"].pk}),
    "api:service-list": Row(MEMBERS_ONLY),
    "api:service-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["service"].pk}),
    "api:service-group-list": Row(MEMBERS_ONLY),
    "api:service-group-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["group"].pk}),
    "api:consent-list": Row(MEMBERS_ONLY),
    "api:consent-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["consent"].pk}),
    "api:care-message-list": Row(MEMBERS_ONLY),
    "api:care-message-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["care_message"].pk}),
    "api:standing-order-list": Row(MEMBERS_ONLY),
    "api:standing-order-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["standing_order"].pk}),
    # Writes need the admin role: providers 403; medspa B's admin finds nothing (404).
    "api:standing-order-sign": Row(
        (CREATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w["standing_order"].pk},
    ),
    "api:library-service-list": Row(MEMBERS_ONLY),
    "api:library-service-detail": Row(MEMBERS_ONLY, kwargs=lambda w: {"pk": w["library_service"].pk}),
    "api:library-service-import": Row(
        (CREATED, FORBIDDEN, FORBIDDEN, CREATED, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w["library_service"].pk},
    ),
    "api:retail-product-list": Row(MEMBERS_ONLY),
    "api:retail-product-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["product"].pk}),
    # Scheduling: settings, calendar, notifications
    # The pages behind the Paperwork panel, for the world's appointment's patient (provider_a1's by that
    # appointment): medspa A's admin and provider_a1 only; another provider, or medspa, finds nothing.
    "paperwork:patient_responses": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"patient_pk": w["appointment"].patient_id},
    ),
    "paperwork:response_detail": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"pk": w["intake_response"].pk},
    ),
    "paperwork:change_accept": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"pk": w["history_change"].pk},
    ),
    "paperwork:change_decline": Row(
        (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FOUND),
        kwargs=lambda w: {"pk": w["history_change"].pk},
    ),
    "scheduling:calendar": Row(ADMIN_PAGE),
    "scheduling:calendar_events": Row(ADMIN_PAGE, data={"start": "2026-12-07", "end": "2026-12-14"}),
    "scheduling:calendar_day_list": Row(ADMIN_PAGE),  # the page's list alone, as the page
    # A drop on the grid: the admin's (a move to where it is already changes nothing); medspa B's gets 404.
    "scheduling:appointment_move": Row(
        ADMIN_A_THING, method="post", kwargs=lambda w: {"pk": w["appointment"].pk}
    ),
    "scheduling:appointment_new": Row(ADMIN_PAGE),
    "scheduling:quick_book": Row(ADMIN_PAGE),
    "scheduling:quick_book_patients": Row(ADMIN_PAGE),
    "scheduling:quick_book_times": Row(ADMIN_PAGE),
    "scheduling:appointment_detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["appointment"].pk}),
    "scheduling:appointment_status": Row(
        ADMIN_A_THING_POST,
        method="post",
        data={"status": "confirmed"},
        kwargs=lambda w: {"pk": w["appointment"].pk},
    ),
    "scheduling:appointment_reschedule": Row(
        BAD_POST, method="post", kwargs=lambda w: {"pk": w["appointment"].pk}
    ),
    "scheduling:appointment_cancel": Row(
        BAD_POST, method="post", kwargs=lambda w: {"pk": w["appointment"].pk}
    ),
    "scheduling:type_list": Row(ADMIN_PAGE),
    "scheduling:type_create": Row(ADMIN_PAGE),
    "scheduling:type_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["appointment_type"].pk}),
    "scheduling:type_activate": Row(
        ADMIN_A_THING_POST,
        method="post",
        data={"active": "1"},
        kwargs=lambda w: {"pk": w["appointment_type"].pk},
    ),
    "scheduling:room_list": Row(ADMIN_PAGE),
    "scheduling:room_create": Row(ADMIN_PAGE),
    "scheduling:room_edit": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["room"].pk}),
    "scheduling:availability": Row(ADMIN_PAGE),
    "scheduling:availability_provider": Row(
        ADMIN_A_THING, kwargs=lambda w: {"pk": w["provider_a1_membership"].pk}
    ),
    "scheduling:rule_add": Row(
        BAD_POST, method="post", kwargs=lambda w: {"pk": w["provider_a1_membership"].pk}
    ),
    "scheduling:rule_remove": Row(ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["rule"].pk}),
    "scheduling:override_add": Row(
        BAD_POST, method="post", kwargs=lambda w: {"pk": w["provider_a1_membership"].pk}
    ),
    "scheduling:override_remove": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["override"].pk}
    ),
    "scheduling:closures": Row(ADMIN_PAGE),
    "scheduling:closure_remove": Row(
        ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["closure"].pk}
    ),
    "scheduling:notification_settings": Row(ADMIN_PAGE),
    "scheduling:notification_preview": Row(ADMIN_PAGE),
    # Public: the booking pages and a provider's iCal feed open to anyone holding the link.
    "booking_medspa": Row(everyone(OK), kwargs=lambda w: {"medspa_slug": "glow-a"}),
    "booking_location": Row(
        everyone(OK),
        kwargs=lambda w: {"medspa_slug": "glow-a", "location_slug": w["scheduling_location"].slug},
    ),
    "booking_medspa_qr": Row(everyone(OK), kwargs=lambda w: {"medspa_slug": "glow-a"}),
    "booking_location_qr": Row(
        everyone(OK),
        kwargs=lambda w: {"medspa_slug": "glow-a", "location_slug": w["scheduling_location"].slug},
    ),
    "booking_manage": Row(everyone(OK), kwargs=lambda w: {"token": w["appointment"].manage_token}),
    "booking_paperwork": Row(everyone(OK), kwargs=lambda w: {"token": paperwork_token(w["appointment"])}),
    "calendar_feed": Row(everyone(OK), kwargs=lambda w: {"token": w["feed"].token}),
    # Scheduling API. Providers see their own appointments and availability only (provider_a2: 404).
    "api:location-list": Row(MEMBERS_ONLY),
    "api:location-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["scheduling_location"].pk}),
    "api:appointment-type-list": Row(MEMBERS_ONLY),
    "api:appointment-type-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["appointment_type"].pk}),
    "api:appointment-type-slots": Row(
        A_API_THING, data={"date": "2030-01-01"}, kwargs=lambda w: {"pk": w["appointment_type"].pk}
    ),
    "api:availability-rule-list": Row(MEMBERS_ONLY),
    "api:availability-rule-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["rule"].pk}),
    "api:availability-override-list": Row(MEMBERS_ONLY),
    "api:availability-override-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["override"].pk}),
    "api:closure-list": Row(MEMBERS_ONLY),
    "api:closure-detail": Row(A_API_THING, kwargs=lambda w: {"pk": w["closure"].pk}),
    "api:appointment-list": Row(MEMBERS_ONLY),
    "api:appointment-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["appointment"].pk}),
    # Posted empty: the admin gets the validation error; the provider may not reschedule or cancel.
    "api:appointment-reschedule": Row(
        (BAD_REQUEST, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w["appointment"].pk},
    ),
    "api:appointment-cancel": Row(
        (BAD_REQUEST, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w["appointment"].pk},
    ),
    # The provider may set the status of their own appointment (empty: a validation error).
    "api:appointment-status": Row(
        (BAD_REQUEST, BAD_REQUEST, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN),
        method="post",
        kwargs=lambda w: {"pk": w["appointment"].pk},
    ),
    # GFE: the admin reads exams; the patient's own providers request and self-clear in the Provider
    # dashboard (an RN may open the page, which explains why they may not clear; others get 404).
    "gfe:exam_detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["exam"].pk}),
    "gfe:exam_pdf": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["exam"].pk}),
    "gfe:patient_gfes": Row(ADMIN_A_THING, kwargs=lambda w: {"patient_pk": w["gfe_patient"].pk}),
    "gfe_provider:exam_detail": Row(GFE_PROVIDER_PAGE, kwargs=lambda w: {"pk": w["exam"].pk}),
    "gfe_provider:exam_pdf": Row(GFE_PROVIDER_PAGE, kwargs=lambda w: {"pk": w["exam"].pk}),
    "gfe_provider:patient_gfes": Row(GFE_PROVIDER_PAGE, kwargs=lambda w: {"patient_pk": w["gfe_patient"].pk}),
    "gfe_provider:request_new": Row(GFE_PROVIDER_PAGE, kwargs=lambda w: {"patient_pk": w["gfe_patient"].pk}),
    "gfe_provider:self_clear": Row(GFE_PROVIDER_PAGE, kwargs=lambda w: {"patient_pk": w["gfe_patient"].pk}),
    # Portrait's clearing queue: staff only.
    "gfe_queue:list": Row((FORBIDDEN,) * 5 + (OK, FOUND)),
    "gfe_queue:review": Row(
        (FORBIDDEN,) * 5 + (OK, FOUND), kwargs=lambda w: {"pk": w["portrait_request"].pk}
    ),
    # The own clearer's secret link: an unknown (or used, or expired) token is gone for everyone.
    "gfe_review": Row(everyone(GONE), kwargs=lambda w: {"token": "no-such-token-0123456789"}),
    "api:clearance-list": Row(MEMBERS_ONLY),
    # Clearances and requests of a patient of admin_a and provider_a1: provider_a2 gets 404, as on the pages.
    "api:clearance-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["exam"].clearances.first().pk}),
    "api:gfe-request-list": Row(MEMBERS_ONLY),
    "api:gfe-request-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["portrait_request"].pk}),
    "api:gfe-gate": Row((BAD_REQUEST,) * 5 + (FORBIDDEN, FORBIDDEN), method="post"),
    # API
    # The transition: the medspa admin's page (medspa B's admin sees an empty state: B is on Flex), the
    # provider's emailed confirmation link (only the person it was sent to), and Portrait staff's pages.
    "transition:page": Row(ADMIN_PAGE),
    "transition:steps": Row(ADMIN_PAGE),
    "transition:request": Row(
        (BAD_REQUEST, FORBIDDEN, FORBIDDEN, BAD_REQUEST, FORBIDDEN, FORBIDDEN, FOUND), method="post"
    ),
    # Letting the coordinator go: medspa A has a transition under way, medspa B keeps no coordinator.
    "transition:coordinator_leaves": Row(
        (BAD_REQUEST, FORBIDDEN, FORBIDDEN, BAD_REQUEST, FORBIDDEN, FORBIDDEN, FOUND), method="post"
    ),
    "transition:openphone_account": Row(
        ADMIN_A_THING_POST, method="post", data={"email": "new@glow.example"}
    ),
    "transition:openphone_acknowledge": Row(ADMIN_A_THING_POST, method="post", data={"acknowledge": "on"}),
    "transition:booking_resolve": Row(
        BAD_POST, method="post", kwargs=lambda w: {"pk": w["acuity_booking"].pk}
    ),
    "transition:import_again": Row(BAD_POST, method="post"),  # the import has not run: nothing to run again
    "transition_confirm:confirm": Row(
        (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FOUND),
        kwargs=lambda w: {"token": w["confirm_token"]},
    ),
    "transition_staff:list": Row(STAFF_PAGE),
    # The audit trail's hash chains, verified: staff only.
    "audit_chains": Row(STAFF_PAGE),
    "transition_staff:new": Row(STAFF_PAGE),
    "transition_staff:coordinator_leaves": Row(STAFF_PAGE),
    "transition_staff:detail": Row(STAFF_PAGE, kwargs=lambda w: {"pk": w["transition"].pk}),
    **{
        f"transition_staff:{name}": Row(
            STAFF_ONLY(status), method="post", kwargs=lambda w: {"pk": w["transition"].pk}, data=data
        )
        for name, status, data in [
            ("approve", BAD_REQUEST, {}),
            ("decline", BAD_REQUEST, {}),
            ("cancel", FOUND, {"cancel-note": "Called off."}),
            ("confirm", FOUND, {}),
            ("tools", FOUND, {}),
        ]
    },
    "transition_staff:step_retry": Row(
        STAFF_ONLY(BAD_REQUEST), method="post", kwargs=lambda w: {"pk": w["transition_step"].pk}
    ),
    "transition_staff:step_done": Row(
        STAFF_ONLY(BAD_REQUEST), method="post", kwargs=lambda w: {"pk": w["transition_step"].pk}
    ),
    "transition_staff:booking_resolve": Row(
        STAFF_ONLY(BAD_REQUEST), method="post", kwargs=lambda w: {"pk": w["acuity_booking"].pk}
    ),
    # Monthly bills: the medspa admin's own (medspa B's admin gets 404), and every bill for staff.
    "billing:list": Row(ADMIN_PAGE),
    "billing:detail": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["bill"].pk}),
    "billing:pdf": Row(ADMIN_A_THING, kwargs=lambda w: {"pk": w["bill"].pk}),
    # Pay now: medspa A's admin is sent back to the bill (paid, or told why not); staff pay no bill.
    "billing:pay_now": Row(ADMIN_A_THING_POST, method="post", kwargs=lambda w: {"pk": w["bill"].pk}),
    "billing_staff:list": Row(STAFF_PAGE),
    "billing_staff:run": Row(STAFF_ONLY(FOUND), method="post"),
    "billing_staff:detail": Row(STAFF_PAGE, kwargs=lambda w: {"pk": w["bill"].pk}),
    "billing_staff:pdf": Row(STAFF_PAGE, kwargs=lambda w: {"pk": w["bill"].pk}),
    "api:api-root": Row(MEMBERS_ONLY),
    "api:me": Row(MEMBERS_ONLY),
    "api:patient-list": Row(ADMINS_AND_PROVIDERS_API),
    # A patient of provider_a1: the admin and provider_a1 read it; provider_a2 and medspa B get 404.
    "api:patient-detail": Row(OWN_API_THING, kwargs=lambda w: {"pk": w["patient"].pk}),
    # The schema and its docs: any signed-in person (staff included), never the anonymous.
    "api_schema": Row((OK,) * 6 + (FORBIDDEN,)),
    "api_docs": Row((OK,) * 6 + (FORBIDDEN,)),
}


def url_patterns(patterns=None, prefix="", namespace=None):
    """(name or route, route) of every pattern, walking includes."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = pattern.name and ":".join(filter(None, [namespace, pattern.name]))
            yield name or route, route


def test_every_url_pattern_is_in_the_table():
    missing = sorted(
        name for name, route in url_patterns() if not route.startswith("admin/") and name not in TABLE
    )
    assert missing == [], f"Add these URLs to the permission table: {missing}"
    stale = sorted(set(TABLE) - {name for name, _ in url_patterns()})
    assert stale == [], f"The table names URLs that no longer exist: {stale}"


def world(cast) -> dict:
    """Things of medspa A that the URLs point at."""
    with medspa_scope(cast.medspa_a):
        return _world_of_medspa_a(cast)


def _world_of_medspa_a(cast) -> dict:
    provider_a1 = cast.provider_a1.memberships.get()
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    patient.assigned_providers.add(provider_a1)
    provider_a1.provider_profile.signature.save("signature.png", ContentFile(factories.png_signature()))
    return {
        "invitation": factories.InvitationFactory(medspa=cast.medspa_a, invited_by=cast.admin_a),
        "patient": patient,
        "flagged_patient": factories.PatientFactory(medspa=cast.medspa_a, possible_duplicate_of=patient),
        "text_thread": TextThread.objects.create(
            medspa=cast.medspa_a, patient=patient, phone="+16195550123", last_message_at=timezone.now()
        ),
        "api_token": api_token_create(user=cast.admin_a)[0],
        "provider_a1_membership": provider_a1,
        "licence": provider_a1.provider_profile.licences.get(),
        "location": Location.objects.create(
            medspa=cast.medspa_a,
            name="Hillcrest",
            address_line1="1 Main St",
            city="San Diego",
            state="CA",
            postal_code="92101",
            time_zone="America/Los_Angeles",
        ),
        "patient_import": PatientImport.objects.create(
            medspa=cast.medspa_a, uploaded_by=cast.admin_a, filename="patients.csv", rows=[]
        ),
        **services_world(cast),
        **scheduling_world(cast),
        **gfe_world(cast),
        **visits_world(cast),
        **inventory_world(cast),
        **transition_world(cast),
        **billing_world(cast),
        **payments_world(cast),
    }


def transition_world(cast) -> dict:
    """A scheduled transition of medspa A (letting the coordinator go, its OpenPhone account entered and
    acknowledged), its plan, an Acuity appointment the import could not place, and the provider's link."""
    from transition.models import AcuityBooking, Transition
    from transition.services import approval as transition_approval
    from transition.services import confirmations as transition_confirmations

    medspa = cast.medspa_a
    transition = Transition.objects.create(
        medspa=medspa, target_model="flex", flex_revenue_split_percent=20,
        effective_date=clock.today(medspa) + timedelta(days=7), keeps_coordinator=False,
        status="scheduled", requested_by=cast.staff, openphone_target_email="owner@glow.example",
        openphone_account_by=cast.admin_a, openphone_account_at=timezone.now(),
        openphone_acknowledged_at=timezone.now(),
    )  # fmt: skip
    steps = transition_approval.plan_make(transition)
    booking = AcuityBooking.objects.create(
        medspa=medspa, transition=transition, acuity_id=9001, start=timezone.now() + timedelta(days=10),
        duration_minutes=30, first_name="Dana", last_name="W", status="conflict", reason="No patient record.",
    )  # fmt: skip
    return {
        "transition": transition,
        "transition_step": steps[0],
        "acuity_booking": booking,
        "confirm_token": transition_confirmations.confirmation_token(transition, cast.admin_a),
    }


def billing_world(cast) -> dict:
    """Medspa A's bill of last month (a month is billed once it is over)."""
    from billing.services import bills as billing_bills
    from providers.selectors import earnings

    last_month = earnings.month_start(timezone.localdate(timezone=cast.medspa_a.tz), 1)
    bill, _ = billing_bills.bill_generate(medspa=cast.medspa_a, month=last_month)
    return {"bill": bill}


def payments_world(cast) -> dict:
    """Medspa A's card for Portrait's bills, as saved earlier (the rows only: Stripe is not asked here)."""
    from medspa.models.payments import SavedCard, StripeCustomer

    customer = StripeCustomer.objects.create(medspa=cast.medspa_a, customer_id="cus_table")
    card = SavedCard.objects.create(
        medspa=cast.medspa_a, customer=customer, payment_method_id="pm_table", brand="visa", last4="4242",
        exp_month=12, exp_year=2030, via=SavedCard.Via.ACCOUNT, added_by=cast.admin_a,
    )  # fmt: skip
    return {"bills_card": card}


def inventory_world(cast) -> dict:
    """A catalog product, an order of medspa A awaiting review, and a pricing ticket about it."""
    from inventory_orders.services import cart as inventory_cart
    from inventory_orders.services import orders as order_services
    from inventory_orders.services import pricing as inventory_pricing
    from inventory_orders.services import rules as inventory_rules

    catalog = factories.catalog_world()
    medspa = factories.shipping_address(cast.medspa_a)
    inventory_cart.cart_line_set(medspa=medspa, product=catalog.toxin, quantity=2)
    order = order_services.order_submit(
        medspa=medspa, by=cast.admin_a, delivery_date=inventory_rules.earliest_delivery() + timedelta(days=7),
        payment_method="card", notes="", idempotency_key="table",
    )  # fmt: skip
    issue = inventory_pricing.pricing_issue_report(
        medspa=medspa, by=cast.admin_a, order=order, message="High?"
    )
    return {"catalog_product": catalog.gloves, "inventory_order": order, "pricing_issue": issue}


def visits_world(cast) -> dict:
    """provider_a1's service visit (a product and a photo on it), a checked-in appointment of theirs with no
    visit yet, a paid visit sale, an open retail cart and a care message that failed to send."""
    from decimal import Decimal

    from providers.models import CareMessageLog
    from providers.selectors import charts
    from providers.services import charting, checkout, settlement
    from scheduling.models import NotificationLog

    provider, user = cast.provider_a1.memberships.get(), cast.provider_a1
    w = factories.charting_world(cast.medspa_a, provider)
    appointment = factories.checked_in_appointment(w, provider)
    visit = charting.visit_start_from_appointment(appointment=appointment, by=user)
    product = charting.visit_product_add(
        visit=visit, name="Toxin", units=Decimal("20"), lot_number="L1",
        expires_on=factories.medspa_today(cast.medspa_a) + timedelta(days=90),
    )  # fmt: skip
    image = ContentFile(factories.png_signature(), name="before.png")
    photo = charting.visit_photo_add(visit=visit, kind="before", image=image, caption="", by=user)
    checked_in = factories.checked_in_appointment(w, provider, start=timezone.now() - timedelta(hours=3))
    paid = charting.visit_start_walk_in(patient=w.patient, provider=provider, location=w.location, by=user)
    charting.visit_service_add(visit=paid, service=w.service)
    version = charts.consents_needed(paid)[0].version
    charting.visit_consent_sign(
        visit=paid, version=version, signature_png=factories.png_signature(), by=user, ip=None
    )
    sale = checkout.visit_checkout(visit=paid, tenders=[settlement.Tender("card", Decimal("300"))], by=user)
    serum = catalog.product_save(
        medspa=cast.medspa_a, data={"name": "Serum", "sku": "C1", "price": Decimal("80"), "is_active": True}
    )
    cart = checkout.retail_sale_open(provider=provider, location=w.location, by=user)
    checkout.retail_line_set(sale=cart, product=serum, quantity=Decimal("1"))
    failed = CareMessageLog.objects.create(
        medspa=cast.medspa_a, visit=paid, care_message=w.care, version=w.care.current_version, channel="sms",
        status=CareMessageLog.Status.FAILED, detail="gateway timeout",
    )  # fmt: skip
    failed_notification = NotificationLog.objects.create(
        medspa=cast.medspa_a, appointment=checked_in, kind="confirmation", channel="sms",
        status=NotificationLog.Status.FAILED, detail="the text was undelivered (Twilio error 30003)",
    )  # fmt: skip
    return {
        "visit": visit, "visit_product": product, "visit_photo": photo, "visit_consent_version": version,
        "checked_in": checked_in, "paid_sale": sale, "cart": cart, "failed_care_message": failed,
        "failed_notification": failed_notification,
    }  # fmt: skip


def gfe_world(cast) -> dict:
    """A patient of medspa A looked after by admin_a and provider_a1, self-cleared by provider_a1 for one
    service, with a second service requested from Portrait's queue."""
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    patient.assigned_providers.add(cast.admin_a.memberships.get(), cast.provider_a1.memberships.get())
    toxin, filler = (
        catalog.service_set_active(
            service=catalog.service_import(
                medspa=cast.medspa_a, library_service=factories.library_service(name)
            ),
            active=True,
        )
        for name in ("GFE toxin", "GFE filler")
    )
    exam = gfe_decisions.gfe_self_clear(
        membership=cast.provider_a1.memberships.get(),
        patient=patient,
        decisions={toxin.pk: gfe_decisions.Decision("cleared")},
        exam={"diagnoses": "Rhytids"},
    )
    portrait_request = gfe_requests.gfe_request_create(
        patient=patient, services=[filler], requested_by=cast.admin_a
    )
    return {"gfe_patient": patient, "exam": exam, "portrait_request": portrait_request}


def scheduling_world(cast) -> dict:
    """Medspa A's scheduling: a location where provider_a1 works, a type with a room, an appointment, the
    availability pieces and provider_a1's iCal feed."""
    provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider], rooms=1)
    tomorrow = timezone.localdate(timezone=location.tz) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10), tzinfo=location.tz)
    appointment = booking.appointment_book(
        appointment_type=appointment_type,
        start=start,
        patient=factories.PatientFactory(medspa=cast.medspa_a),
        notify=False,
    )
    return {
        **paperwork_world(cast, appointment),
        "scheduling_location": location,
        "appointment_type": appointment_type,
        "appointment": appointment,
        "room": appointment_type.rooms.get(),
        "rule": AvailabilityRule.objects.filter(provider=provider).first(),
        "override": AvailabilityOverride.objects.create(
            medspa=cast.medspa_a, provider=provider, kind="off", date=tomorrow + timedelta(days=3)
        ),
        "closure": Closure.objects.create(
            medspa=cast.medspa_a, date=tomorrow + timedelta(days=5), reason="Holiday"
        ),
        "feed": settings_services.calendar_feed_get_or_create(provider=provider),
    }


def paperwork_world(cast, appointment) -> dict:
    """Two intake forms of the appointment's type, one answered (its paperwork is not complete), the answer
    proposing a change to the patient's allergies that waits for review."""
    from scheduling.tests.factories import HistoryChangeFactory, IntakeResponseFactory
    from services_catalog.tests.factories import IntakeFormVersionFactory

    answered, pending = (IntakeFormVersionFactory(form__medspa=cast.medspa_a) for _ in range(2))
    appointment.appointment_type.intake_forms.add(answered.form, pending.form)
    response = IntakeResponseFactory(medspa=cast.medspa_a, appointment=appointment, version=answered)
    change = HistoryChangeFactory(medspa=cast.medspa_a, response=response, proposed="Latex, penicillin")
    return {"intake_response": response, "history_change": change}


def services_world(cast) -> dict:
    """Medspa A's services, texts and products, with admin_a as its medical director."""
    cast.medspa_a.medical_director = cast.admin_a.memberships.get()
    cast.medspa_a.save()
    library_service = factories.library_service()
    text = "A text long enough to be a real one, for the permission table."
    return {
        "library_service": library_service,
        "service": catalog.service_import(
            medspa=cast.medspa_a, library_service=factories.library_service("Other")
        ),
        "group": catalog.group_save(medspa=cast.medspa_a, data={"name": "Ours"}),
        "consent": texts.text_create(model=Consent, medspa=cast.medspa_a, title="C", text=text, by=None),
        "care_message": texts.text_create(
            model=CareMessage, medspa=cast.medspa_a, title="M", text=text, by=None
        ),
        "standing_order": texts.text_create(
            model=StandingOrder, medspa=cast.medspa_a, title="S", text=text, by=None
        ),  # fmt: skip
        "product": catalog.product_save(
            medspa=cast.medspa_a, data={"name": "Serum", "sku": "S1", "price": 10}
        ),
        "intake_form": intake_forms.intake_form_create(
            medspa=cast.medspa_a, title="Ours", description="", sections=INTAKE_SECTIONS, by=None
        ),
        "library_intake_form": intake_forms.intake_form_create(
            medspa=None, title="Medical history", description="", sections=INTAKE_SECTIONS, by=None
        ),
    }


def request_as(cast, who: str, method: str, url: str, data: dict) -> int:
    client = Client()
    user = cast.user(who)
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, data).status_code


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_member_of_the_cast_gets_the_status_the_table_gives(cast, name):
    row = TABLE[name]
    things = world(cast)
    with medspa_scope(cast.medspa_a):
        url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
    data = row.data
    if data is None and name.startswith("inventory_orders:cart_"):
        data = {"product": things["catalog_product"].pk, "quantity": "1"}
    elif data is None:
        with medspa_scope(cast.medspa_a):
            data = {"director": cast.admin_a.memberships.get().pk}
    observed = []
    for who in CAST_NAMES:
        with transaction.atomic():  # each request sees the same world: undo what the previous one did
            observed.append(request_as(cast, who, row.method, url, data))
            transaction.set_rollback(True)
    assert dict(zip(CAST_NAMES, observed, strict=True)) == dict(zip(CAST_NAMES, row.statuses, strict=True)), (
        observed
    )


def admin_urls(cast) -> list[str]:
    """Every Django admin URL, reversed with a real object of its model where it takes one."""
    from django.contrib import admin

    urls = []
    for name, route in url_patterns():
        if not route.startswith("admin/") or ":" not in name:
            continue
        model_admin = next(
            (
                ma
                for m, ma in admin.site._registry.items()
                if name.startswith(f"admin:{m._meta.app_label}_{m._meta.model_name}_")
            ),
            None,
        )
        if "<path:object_id>" in route and model_admin is not None:
            obj = model_admin.model._default_manager.order_by("pk").first()
            if obj is None:
                continue
            urls.append(reverse(name, kwargs={"object_id": obj.pk}))
        elif "<" in route or "(?P" in route:
            continue  # app_list / autocomplete-style patterns with free arguments; covered by their index
        else:
            urls.append(reverse(name))
    return urls


@pytest.mark.slow  # walks the Django admin
@pytest.mark.scopes_disabled(reason="Portrait staff's Django admin reads every medspa")
def test_django_admin_opens_to_portrait_staff_only(cast):
    world(cast)
    urls = admin_urls(cast)
    assert len(urls) > 60
    for who in CAST_NAMES:
        client = Client()
        if cast.user(who) is not None:
            client.force_login(cast.user(who))
        for url in urls:
            status = client.get(url).status_code
            if who == "staff":
                assert status in (OK, FOUND, FORBIDDEN, NOT_ALLOWED), (who, url, status)
            elif url == reverse("admin:login"):
                assert status == OK  # the admin sign-in page itself; it admits staff only
            elif url == reverse("admin:logout"):
                assert status == FOUND  # nothing to sign out of: sent back to the admin, hence its sign-in
            else:
                response = client.get(url)
                assert response.status_code == FOUND and response["Location"].startswith("/admin/login/"), (
                    who,
                    url,
                    response.status_code,
                )


# --- The API per object: which member of the cast sees which object, in lists and by id. ----------------

ADMIN_A_AND_A1 = {"admin_a", "provider_a1"}  # provider_a1's own (admin_a sees all of medspa A)
MEDSPA_A = {"admin_a", "provider_a1", "provider_a2"}  # a thing of medspa A every member of it reads


@dataclass
class ApiObject:
    """An object of the world behind one API resource, and the cast members who may see it."""

    resource: str  # "api:<basename>": its -list and -detail routes
    thing: object  # a callable of the world
    seen_by: set[str]


API_OBJECTS = [
    ApiObject("api:patient", lambda w: w["patient"], ADMIN_A_AND_A1),  # assigned to provider_a1
    ApiObject("api:patient", lambda w: w["patient_a2"], {"admin_a", "provider_a2"}),
    ApiObject("api:patient", lambda w: w["patient_b"], {"admin_b", "provider_b"}),
    ApiObject("api:clearance", lambda w: w["exam"].clearances.first(), ADMIN_A_AND_A1),
    ApiObject("api:gfe-request", lambda w: w["portrait_request"], ADMIN_A_AND_A1),
    ApiObject("api:appointment", lambda w: w["appointment"], ADMIN_A_AND_A1),
    ApiObject("api:availability-rule", lambda w: w["rule"], ADMIN_A_AND_A1),
    ApiObject("api:availability-override", lambda w: w["override"], ADMIN_A_AND_A1),
    ApiObject("api:closure", lambda w: w["closure"], MEDSPA_A),
    ApiObject("api:location", lambda w: w["scheduling_location"], MEDSPA_A),
    ApiObject("api:appointment-type", lambda w: w["appointment_type"], MEDSPA_A),
    ApiObject("api:service", lambda w: w["service"], MEDSPA_A),
    ApiObject("api:service-group", lambda w: w["group"], MEDSPA_A),
    ApiObject("api:consent", lambda w: w["consent"], MEDSPA_A),
    ApiObject("api:care-message", lambda w: w["care_message"], MEDSPA_A),
    ApiObject("api:standing-order", lambda w: w["standing_order"], MEDSPA_A),
    ApiObject("api:retail-product", lambda w: w["product"], MEDSPA_A),
]
GLOBAL_API_RESOURCES = {"api:library-service"}  # Portrait's library: the same for every member


def test_every_api_list_says_who_sees_which_object():
    lists = {name.removesuffix("-list") for name, _ in url_patterns() if name.startswith("api:")}
    lists &= {name.removesuffix("-list") for name, _ in url_patterns() if name.endswith("-list")}
    covered = {entry.resource for entry in API_OBJECTS} | GLOBAL_API_RESOURCES
    assert sorted(lists - covered) == [], "Add these API resources to API_OBJECTS"


def api_ids(client: Client, url: str) -> set[int]:
    """Every id a list answers, over all its pages."""
    ids = set()
    while url:
        body = client.get(url).json()
        ids |= {row["id"] for row in body["results"]}
        url = body["next"]
    return ids


def test_each_member_of_the_cast_sees_through_the_api_exactly_the_objects_the_pages_show(cast):
    things = world(cast)
    for medspa, provider, key in ((cast.medspa_a, cast.provider_a2, "patient_a2"),
                                  (cast.medspa_b, cast.provider_b, "patient_b")):  # fmt: skip
        things[key] = factories.PatientFactory(medspa=medspa)
        with medspa_scope(medspa):
            things[key].assigned_providers.add(provider.memberships.get())
    wrong = []
    for who in CAST_NAMES:
        client = Client()
        if cast.user(who) is not None:
            client.force_login(cast.user(who))
        member = who not in ("staff", "anonymous")
        listed = {}
        for entry in API_OBJECTS:
            with medspa_scope(cast.medspa_a):  # the objects of medspa B are read from the world as they are
                thing = entry.thing(things)
            if entry.resource not in listed:
                listed[entry.resource] = (
                    api_ids(client, reverse(f"{entry.resource}-list")) if member else set()
                )
            detail = client.get(reverse(f"{entry.resource}-detail", kwargs={"pk": thing.pk})).status_code
            expected_detail = (OK if who in entry.seen_by else NOT_FOUND) if member else FORBIDDEN
            if detail != expected_detail:
                wrong.append(f"{who} GET {entry.resource} #{thing.pk} by id: {detail}, not {expected_detail}")
            if (thing.pk in listed[entry.resource]) != (who in entry.seen_by):
                wrong.append(f"{who} {entry.resource}-list {'lists' if member else ''} #{thing.pk} wrongly")
    assert wrong == []
