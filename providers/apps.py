"""The provider's working day: patients, service-visit charting, retail checkout, earnings and to-do."""

from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Provider dashboard"

    def ready(self) -> None:
        from medspa import dashboards
        from medspa.messaging.opt_out import TEXTS_OWED, TextsOwed
        from medspa.search import SEARCH, SearchSource
        from medspa.selectors.patients import PROVIDER_PATIENT_LINKS
        from medspa.views.panels import ADMIN_TODAY, PATIENT, Panel
        from providers.models import CareMessageLog
        from providers.selectors import panels, patients, today
        from providers.services.care_messages import CARE_MESSAGES
        from providers.views import calendar, fees
        from scheduling.selectors.calendar import APPOINTMENT_ACTIONS, AppointmentActions

        PATIENT.register(Panel("providers/panels/_visits.html", panels.visits_panel_context, order=30))
        PATIENT.register(
            Panel("providers/panels/_consents_and_messages.html", panels.consents_panel_context, order=40)
        )
        ADMIN_TODAY.register(Panel("providers/earnings/_today.html", today.admin_today_context, order=30))
        PROVIDER_PATIENT_LINKS.register(patients.visit_link)
        TEXTS_OWED.register(
            TextsOwed(lambda ids: CareMessageLog.objects.filter(visit__patient_id__in=ids), CARE_MESSAGES)
        )
        APPOINTMENT_ACTIONS.register(
            AppointmentActions(
                "Visit",
                calendar.visit_actions,
                calendar.visit_page_actions,
                related=(calendar.VISIT_RELATION,),
            )
        )
        APPOINTMENT_ACTIONS.register(
            AppointmentActions(
                "Fees", fees.no_calendar_actions, fees.fee_page_actions, order=10, every_appointment=True
            )
        )
        SEARCH.register(
            SearchSource(
                "appointments",
                "Appointments",
                frozenset({dashboards.PROVIDER}),
                calendar.own_appointments_found,
                order=20,
            )
        )
