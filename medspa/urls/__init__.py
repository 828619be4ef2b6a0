from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from medspa.api import views as api_views
from medspa.views import (
    account,
    api_tokens,
    audit,
    dashboard,
    health,
    invitations,
    masquerade,
    patient_cards,
    patient_import,
    patient_merge,
    patients,
    payments,
    providers_tab,
    search,
    texting,
    webhooks,
)

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("patients", api_views.PatientViewSet, basename="patient")

api_v1 = [
    path("me/", api_views.MeView.as_view(), name="me"),
    *router.urls,
    path("", include("services_catalog.urls.api")),
    path("", include("scheduling.urls.api")),
    path("", include("gfe.urls.api")),
]

dashboard_urls = [
    path("", dashboard.dashboard_home, name="dashboard_home"),
    path("switch/", dashboard.dashboard_switch, name="dashboard_switch"),
    path("onboarding/", dashboard.onboarding_checklist, name="onboarding"),
    path("patients/", patients.patient_list, name="dashboard_patients"),
    path("patients/new/", patients.patient_create, name="dashboard_patient_create"),
    path("patients/import/", patient_import.upload, name="dashboard_patient_import"),
    path("patients/import/<int:pk>/", patient_import.preview, name="dashboard_patient_import_preview"),
    path("patients/<int:pk>/", patients.patient_detail, name="dashboard_patient_detail"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="dashboard_patient_edit"),
    path("patients/<int:pk>/archive/", patients.patient_archive, name="dashboard_patient_archive"),
    path("patients/<int:pk>/card/", patient_cards.patient_card, name="dashboard_patient_card"),
    path("patients/<int:pk>/merge/", patient_merge.merge, name="dashboard_patient_merge"),
    path(
        "patients/<int:pk>/not-a-duplicate/",
        patient_merge.not_a_duplicate,
        name="dashboard_patient_not_a_duplicate",
    ),
    path("providers/", providers_tab.provider_list, name="dashboard_providers"),
    path("settings/", account.account_settings, name="account_settings"),
    path("settings/business/", account.settings_business, name="settings_business"),
    path("settings/add-ons/", account.settings_addons, name="settings_addons"),
    path("settings/medical-director/", account.settings_medical_director, name="settings_medical_director"),
    path(
        "settings/medical-director/request/",
        account.settings_medical_director_request,
        name="settings_medical_director_request",
    ),
    path("settings/members/<int:pk>/<slug:action>/", account.settings_member, name="settings_member"),
    # Payments: the medspa's Stripe account (Connect) and its card for Portrait's bills (docs/payments.md).
    path("settings/payments/connect/", payments.payments_connect, name="settings_payments_connect"),
    path("settings/payments/return/", payments.payments_return, name="settings_payments_return"),
    path("settings/payments/refresh/", payments.payments_refresh, name="settings_payments_refresh"),
    path("settings/payments/card/", payments.payments_card, name="settings_payments_card"),
    path(
        "settings/payments/card/<int:pk>/remove/",
        payments.payments_card_remove,
        name="settings_payments_card_remove",
    ),
    path("settings/api-tokens/", api_tokens.api_token_list, name="api_token_list"),
    path("settings/api-tokens/<slug:digest>/revoke/", api_tokens.api_token_revoke, name="api_token_revoke"),
    path("scheduling/", include("scheduling.urls")),
    path("services/", include("services_catalog.urls")),
    path("gfe/", include("gfe.urls")),
    path("inventory/", include("inventory_orders.urls")),
    path("settings/transition/", include("transition.urls")),
    path("settings/billing/", include("billing.urls")),
]

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("healthz", dashboard.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),  # docs/operations.md: liveness and readiness probes
    path("readyz", health.readyz, name="readyz"),
    # The API first: its clients call it the most, and Django tries the patterns in order (the empty
    # prefixes below are each searched through).
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("webhooks/twilio/inbound/", texting.twilio_inbound, name="twilio_inbound"),
    # Both dashboards' Inbox (an admin sees the medspa's conversations, a provider their patients'), hence
    # not under /dashboard/, which is the Medspa Admin dashboard's.
    path("inbox/", texting.inbox, name="texting_inbox"),
    path("inbox/<int:pk>/", texting.thread, name="texting_thread"),
    path("inbox/unread/", texting.unread, name="texting_unread"),
    # The top bar's search, in every dashboard (each searches what its apps registered in medspa.search).
    path("search/", search.search, name="search"),
    # Both dashboards' pages behind a patient's Paperwork panel (scheduling.urls.paperwork).
    path("paperwork/", include("scheduling.urls.paperwork")),
    path("favicon.ico", dashboard.favicon, name="favicon"),
    path("dashboard/", include(dashboard_urls)),
    path("", include("providers.urls")),
    path("provider/gfe/", include(("gfe.urls.provider", "gfe_provider"))),
    path("gfe/queue/", include(("gfe.urls.staff", "gfe_queue"))),
    path("inventory/queue/", include(("inventory_orders.urls.staff", "inventory_staff"))),
    path("transitions/", include(("transition.urls.staff", "transition_staff"))),
    path("transition/confirm/", include("transition.urls.confirm")),  # the provider's emailed link
    path("billing/", include(("billing.urls.staff", "billing_staff"))),
    path("audit/chains/", audit.audit_chains, name="audit_chains"),
    path("", include("gfe.urls.public")),  # /gfe/review/<token>/: the external clearer's secret link
    path("profile/", account.profile, name="profile"),
    path("profile/signature/", account.profile_signature, name="profile_signature"),
    path("profile/licences/", account.licence_add, name="licence_add"),
    path("profile/licences/<int:pk>/remove/", account.licence_remove, name="licence_remove"),
    path("profile/files/<int:membership_id>/<slug:kind>/", account.profile_file, name="profile_file"),
    path("masquerade/stop/", masquerade.masquerade_stop, name="masquerade_stop"),
    path("masquerade/<int:user_id>/", masquerade.masquerade_start, name="masquerade_start"),
    path("invitations/", invitations.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/revoke/", invitations.invitation_revoke, name="invitation_revoke"),
    path("invitations/accept/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("", include("scheduling.urls.public")),  # /book/… (public booking) and the providers' iCal feeds
    path(
        "webhooks/twilio/status/<str:label>/<int:pk>/", webhooks.twilio_status, name="twilio_status"
    ),  # Twilio's delivery receipts, signed (docs/texting.md)
    path("webhooks/stripe/", webhooks.stripe_platform, name="stripe_webhook"),  # signed (docs/payments.md)
    path("webhooks/stripe/connect/", webhooks.stripe_connect, name="stripe_connect_webhook"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Portrait operations"
admin.site.site_title = "Portrait operations"
admin.site.index_title = "Medspas, people, patients and audit"
