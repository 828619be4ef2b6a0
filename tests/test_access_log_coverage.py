"""Every page and endpoint that shows patient data writes an access-log row for each patient it shows.

The URL list comes from the resolver (through the permission table, which already names every URL): each
URL answering GET is either in READS, walked here as someone who may open it, or in NOT_PATIENT_DATA with the
reason it shows none. A new page must be put in one of them, so none can silently escape the access log.
Django admin is walked the same way: every ModelAdmin of a model that shows a patient logs its change list
and its change page."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from gfe.models import Routing
from gfe.services import requests as gfe_requests
from gfe.services import routing as gfe_routing
from medspa.admin import PatientReadLogAdmin, patient_path
from medspa.models import Medspa, Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from services_catalog.services import catalog
from tests import factories
from tests.fixtures import CAST_NAMES
from tests.test_permission_table import OK, TABLE, url_patterns, world

# The pages and endpoints that show patient data: name -> the patients of the world it must log (at least).
READS = {
    "dashboard_patients": lambda w: [w["patient"]],
    "texting_inbox": lambda w: [w["patient"]],
    "texting_thread": lambda w: [w["patient"]],
    "search": lambda w: [w["patient"]],  # the patient's name searched (QUERY)
    "dashboard_home": lambda w: [w["appointment"].patient],  # the To-Do: tomorrow's paperwork, answers
    "dashboard_patient_detail": lambda w: [w["patient"]],
    "dashboard_patient_edit": lambda w: [w["patient"]],
    "dashboard_patient_card": lambda w: [w["patient"]],
    "dashboard_patient_merge": lambda w: [w["flagged_patient"], w["patient"]],
    "providers:patients": lambda w: [w["patient"]],
    "providers:patient_detail": lambda w: [w["patient"]],
    "providers:calendar": lambda w: [w["appointment"].patient],
    "providers:calendar_events": lambda w: [w["appointment"].patient],
    "providers:todo": lambda w: [w["visit"].patient],
    "providers:visit_detail": lambda w: [w["visit"].patient],
    "providers:visit_photo": lambda w: [w["visit"].patient],
    "providers:visit_pdf": lambda w: [w["visit"].patient],
    "providers:visit_walk_in": lambda w: [w["visit"].patient],
    "providers:sales": lambda w: [w["paid_sale"].patient],
    "providers:sale_detail": lambda w: [w["paid_sale"].patient],
    "providers:admin_sale_detail": lambda w: [w["paid_sale"].patient],
    "providers:earnings": lambda w: [w["paid_sale"].patient],
    "providers:earnings_csv": lambda w: [w["paid_sale"].patient],
    "providers:admin_earnings": lambda w: [w["paid_sale"].patient],
    "providers:admin_earnings_csv": lambda w: [w["paid_sale"].patient],
    "paperwork:patient_responses": lambda w: [w["appointment"].patient],
    "paperwork:response_detail": lambda w: [w["appointment"].patient],
    "paperwork:change_accept": lambda w: [w["appointment"].patient],
    "paperwork:change_decline": lambda w: [w["appointment"].patient],
    "scheduling:calendar": lambda w: [w["appointment"].patient],
    "scheduling:calendar_events": lambda w: [w["appointment"].patient],
    "scheduling:calendar_day_list": lambda w: [w["appointment"].patient],
    "scheduling:appointment_detail": lambda w: [w["appointment"].patient],
    "scheduling:appointment_new": lambda w: [w["patient"], w["appointment"].patient],
    "scheduling:quick_book": lambda w: [w["patient"]],  # the patient it was opened for
    "scheduling:quick_book_patients": lambda w: [w["patient"]],  # the type-ahead's matches
    "scheduling:quick_book_times": lambda w: [w["patient"]],  # the warnings name the patient chosen
    "gfe:home": lambda w: [w["gfe_patient"]],
    "gfe:exam_detail": lambda w: [w["gfe_patient"]],
    "gfe:exam_pdf": lambda w: [w["gfe_patient"]],
    "gfe:patient_gfes": lambda w: [w["gfe_patient"]],
    "gfe_provider:exam_detail": lambda w: [w["gfe_patient"]],
    "gfe_provider:exam_pdf": lambda w: [w["gfe_patient"]],
    "gfe_provider:patient_gfes": lambda w: [w["gfe_patient"]],
    "gfe_provider:request_new": lambda w: [w["gfe_patient"]],
    "gfe_provider:self_clear": lambda w: [w["gfe_patient"]],
    "gfe_queue:list": lambda w: [w["gfe_patient"]],
    "gfe_queue:review": lambda w: [w["gfe_patient"]],
    "gfe_review": lambda w: [w["patient"]],  # the outside clearer's link, opened with its real token
    "api:patient-list": lambda w: [w["patient"]],
    "api:patient-detail": lambda w: [w["patient"]],
    "api:appointment-list": lambda w: [w["appointment"].patient],
    "api:appointment-detail": lambda w: [w["appointment"].patient],
    "api:clearance-list": lambda w: [w["gfe_patient"]],
    "api:clearance-detail": lambda w: [w["gfe_patient"]],
    "api:gfe-request-list": lambda w: [w["gfe_patient"]],
    "api:gfe-request-detail": lambda w: [w["gfe_patient"]],
}

# Pages that answer GET and show no patient record, each group with its reason.
NOT_PATIENT_DATA = {
    "The inbox's badge: a count of unread texts, naming nobody.": {"texting_unread"},
    "Sign-in, account, MFA and invitation pages: the signed-in person's own account.": {
        "account_change_password",
        "account_confirm_email",
        "account_confirm_login_code",
        "account_confirm_reauthentication_code",
        "account_email",
        "account_email_verification_sent",
        "account_inactive",
        "account_login",
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_set_password",
        "account_signup",
        "mfa_activate_totp",
        "mfa_authenticate",
        "mfa_deactivate_totp",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_index",
        "mfa_reauthenticate",
        "mfa_view_recovery_codes",
        "invitation_accept",
        "api_token_list",
        "invitation_list",
        "profile",
        "profile_file",
        "masquerade_start",
    },
    "Site plumbing and the API's description: no data of anyone.": {
        "favicon",
        "healthz",
        "livez",
        "readyz",
        "home",
        "api_docs",
        "api_schema",
        "api:api-root",
        "api:me",
    },
    "Account settings → Payments: the medspa's own Stripe account and its own card, no patient's.": {
        "settings_payments_card",
        "settings_payments_refresh",
        "settings_payments_return",
    },
    "The audit chains' verification: counts and hashes per chain, no row's content.": {
        "audit_chains",
    },
    "The medspa's settings, catalog, rooms, availability and texts: no patient in them.": {
        "account_settings",
        "dashboard_providers",
        "onboarding",
        "dashboard_patient_create",
        "dashboard_patient_import",
        "scheduling:availability",
        "scheduling:availability_provider",
        "scheduling:closures",
        "scheduling:home",
        "scheduling:location_create",
        "scheduling:location_edit",
        "scheduling:notification_preview",
        "scheduling:notification_settings",
        "scheduling:room_create",
        "scheduling:room_edit",
        "scheduling:room_list",
        "scheduling:type_create",
        "scheduling:type_edit",
        "scheduling:type_list",
        "services_catalog:group_create",
        "services_catalog:group_edit",
        "services_catalog:home",
        "services_catalog:intake_form_create",
        "services_catalog:intake_form_detail",
        "services_catalog:intake_form_list",
        "services_catalog:library",
        "services_catalog:product_create",
        "services_catalog:product_edit",
        "services_catalog:product_list",
        "services_catalog:service_create",
        "services_catalog:service_edit",
        "services_catalog:text_create",
        "services_catalog:text_detail",
        "services_catalog:text_list",
        "providers:retail_new",
        "api:appointment-type-detail",
        "api:appointment-type-list",
        "api:appointment-type-slots",
        "api:availability-override-detail",
        "api:availability-override-list",
        "api:availability-rule-detail",
        "api:availability-rule-list",
        "api:care-message-detail",
        "api:care-message-list",
        "api:closure-detail",
        "api:closure-list",
        "api:consent-detail",
        "api:consent-list",
        "api:library-service-detail",
        "api:library-service-list",
        "api:location-detail",
        "api:location-list",
        "api:retail-product-detail",
        "api:retail-product-list",
        "api:service-detail",
        "api:service-group-detail",
        "api:service-group-list",
        "api:service-list",
        "api:standing-order-detail",
        "api:standing-order-list",
    },
    "Inventory orders and monthly bills: products and money of the medspa, no patient.": {
        "inventory_orders:cart",
        "inventory_orders:checkout",
        "inventory_orders:home",
        "inventory_orders:order",
        "inventory_orders:orders",
        "inventory_orders:product",
        "inventory_staff:issues",
        "inventory_staff:list",
        "inventory_staff:review",
        "billing:detail",
        "billing:list",
        "billing:pdf",
        "billing_staff:detail",
        "billing_staff:list",
        "billing_staff:pdf",
        "providers:admin_stripe_reconciliation",
    },
    "Public booking pages: the medspa's services and free slots; booking_manage is the patient's own "
    "appointment, and booking_paperwork the patient's own forms and consents, each opened by the patient "
    "with the link sent to them.": {
        "booking_location",
        "booking_location_qr",
        "booking_manage",
        "booking_paperwork",
        "booking_medspa",
        "booking_medspa_qr",
    },
    "The transition's pages: the legacy system's bookings no patient record matched, named as the legacy "
    "system had them; no record of ours is shown.": {
        "transition:page",
        "transition:steps",
        "transition_confirm:confirm",
        "transition_staff:detail",
        "transition_staff:list",
        "transition_staff:new",
        "transition_staff:coordinator_leaves",
    },
    "The patient import's preview: rows of the uploaded file, not yet patient records.": {
        "dashboard_patient_import_preview",
    },
    "A provider's iCal feed: fetched unattended by calendar apps with the provider's secret link, and it "
    "carries only each patient's first name (scheduling.views.feeds.calendar_feed).": {"calendar_feed"},
}

# Who opens a page, when not the first of the cast it answers 200 (admin_a, also a provider, has no patients
# of their own): the world's visits, sales and patients are provider_a1's.
WHO = {name: "provider_a1" for name in READS if name.startswith(("providers:", "gfe_provider:"))}
WHO |= {"providers:admin_sale_detail": "admin_a", "providers:admin_earnings": "admin_a",
        "providers:admin_earnings_csv": "admin_a"}  # fmt: skip
# Query strings that put the world's appointment (tomorrow) on the calendar shown.
QUERY = {
    "scheduling:calendar": lambda w: {"view": "day", "date": w["appointment"].local_start.date().isoformat()},
    "scheduling:calendar_day_list": lambda w: {
        "view": "day",
        "date": w["appointment"].local_start.date().isoformat(),
    },
    "providers:calendar": lambda w: {"view": "day", "date": w["appointment"].local_start.date().isoformat()},
    "scheduling:calendar_events": lambda w: grid_days(w["appointment"]),
    "providers:calendar_events": lambda w: grid_days(w["appointment"]),
    "scheduling:quick_book": lambda w: {"patient": w["patient"].pk},
    "scheduling:quick_book_patients": lambda w: {"q": w["patient"].last_name},
    "scheduling:quick_book_times": lambda w: {"patient": w["patient"].pk},
    "search": lambda w: {"q": w["patient"].last_name},
}


def grid_days(appointment) -> dict:
    """The time grid's range that holds `appointment`'s day."""
    day = appointment.local_start.date()
    return {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}


# Admin models that name a patient but are not reads of a record.
ADMIN_NOT_LOGGED = {
    # The access log itself: reading who read a record is the audit; logging it would bury the reads.
    PatientAccessLog,
}


def get_names() -> set[str]:
    return {name for name, row in TABLE.items() if row.method == "get"}


def test_every_page_answering_get_says_whether_it_shows_patient_data():
    classified = set(READS) | set().union(*NOT_PATIENT_DATA.values())
    assert sorted(get_names() - classified) == [], "Add these pages to READS or NOT_PATIENT_DATA"
    assert sorted(classified - get_names()) == [], "These names are no longer pages answering GET"
    assert not set(READS) & set().union(*NOT_PATIENT_DATA.values())


def test_every_url_taking_a_patient_id_is_a_logged_read():
    """A pattern that takes a patient's id (`patients/<int:pk>/`, `<int:patient_pk>`) shows that patient, or
    is a write (POST)."""
    takes_patient = {
        name
        for name, route in url_patterns()
        if re.search(r"patients/<[^>]+>|<[^>]*patient[^>]*>", route) and name in get_names()
    }
    assert takes_patient, "no pattern takes a patient id: the pattern above is stale"
    assert sorted(takes_patient - set(READS)) == []


def member_who_may_open(name: str) -> str:
    if name in WHO:
        return WHO[name]
    return next(who for who, status in zip(CAST_NAMES, TABLE[name].statuses, strict=True) if status == OK)


def clearer_link(cast, things) -> str:
    """An outside clearer's real link, for a patient of medspa A."""
    with medspa_scope(cast.medspa_a):
        return _clearer_link(cast, things)


def _clearer_link(cast, things) -> str:
    gfe_routing.gfe_settings_update(
        medspa=cast.medspa_a,
        data={"routing": Routing.OWN_CLEARER, "clearer_email": "outside@clearer.example",
              "clearer_name": "Dr. Out", "clearer_credential": "MD"},
    )  # fmt: skip
    service = catalog.service_set_active(
        service=catalog.service_import(
            medspa=cast.medspa_a, library_service=factories.library_service("Peel")
        ),
        active=True,
    )
    request = gfe_requests.gfe_request_create(
        patient=things["patient"], services=[service], requested_by=None
    )
    return reverse("gfe_review", kwargs={"token": request.review_token})


def in_every_medspa(read) -> list:
    """What `read()` finds in each medspa's scope in turn, put together: a check that a page shows nothing
    unlogged holds whichever medspa the rows belong to."""
    found = []
    for medspa in Medspa.objects.all():
        with medspa_scope(medspa):
            found += read()
    return found


def body(response) -> str:
    """The text of the answer (a PDF or an image has none to search)."""
    if not response["Content-Type"].startswith(("text/", "application/json")):
        return ""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("name", sorted(READS))
def test_each_page_showing_patients_logs_every_patient_it_shows(cast, name):
    things = world(cast)  # what the permission table's URLs point at
    client = Client()
    if name == "gfe_review":
        url, who, actor = clearer_link(cast, things), "the outside clearer", None
    else:
        row = TABLE[name]
        with medspa_scope(cast.medspa_a):
            url = reverse(name, kwargs=row.kwargs(things) if row.kwargs is not dict else None)
        who = member_who_may_open(name)
        actor = cast.user(who)
        client.force_login(actor)
    before = max(
        in_every_medspa(lambda: list(PatientAccessLog.objects.values_list("pk", flat=True))), default=0
    )
    response = client.get(url, QUERY[name](things) if name in QUERY else {})
    assert response.status_code == OK, (who, url)
    text = body(response)  # a streamed answer writes its rows while it is read
    rows = in_every_medspa(lambda: list(PatientAccessLog.objects.filter(pk__gt=before)))
    logged = {row.patient_id for row in rows}
    with medspa_scope(cast.medspa_a):
        expected = {patient.pk for patient in READS[name](things)}
    assert expected <= logged, f"{name} as {who}: no access-log row for patients {expected - logged}"
    # Every patient whose full name the answer shows is logged, not only the one expected.
    named = {
        p.pk
        for p in in_every_medspa(lambda: list(Patient.objects.all()))
        if f"{p.first_name} {p.last_name}" in text
    }
    assert named <= logged, f"{name} as {who} shows patients {named - logged} without a row"
    assert {(row.actor_id, bool(row.actor_label)) for row in rows} == {
        (actor.pk, False) if actor else (None, True)
    }


def patient_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if patient_path(model) is not None and model not in ADMIN_NOT_LOGGED
    ]


def test_every_admin_of_a_model_showing_patients_logs_its_reads():
    assert patient_admins(), "the admin registry was not walked"
    unlogged = [
        model._meta.label for model, ma in patient_admins() if not isinstance(ma, PatientReadLogAdmin)
    ]
    assert unlogged == []


@pytest.mark.scopes_disabled(reason="Portrait staff's Django admin reads every medspa")
@pytest.mark.parametrize("label", sorted(model._meta.label_lower for model, _ in patient_admins()))
def test_each_admin_change_list_and_change_page_logs_the_patients_shown(cast, label):
    world(cast)
    model = next(model for model, _ in patient_admins() if model._meta.label_lower == label)
    path = patient_path(model)
    with_patient = model.objects.exclude(**({} if path == "" else {f"{path}__isnull": True}))
    shown = with_patient.order_by("-pk").first()
    assert shown is not None, f"the world has no {label}"
    patient_id = shown.pk if path == "" else getattr(shown, f"{path}_id")
    client = Client()
    client.force_login(cast.staff)
    app, model_name = label.split(".")
    for url in (
        reverse(f"admin:{app}_{model_name}_changelist"),
        reverse(f"admin:{app}_{model_name}_change", args=[shown.pk]),
    ):
        before = PatientAccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        assert client.get(url).status_code == OK, url
        rows = PatientAccessLog.objects.filter(pk__gt=before)
        assert patient_id in set(rows.values_list("patient_id", flat=True)), url
        assert set(rows.values_list("actor_id", flat=True)) == {cast.staff.pk}
