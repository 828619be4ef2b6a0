from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from gfe.selectors.intake import INTAKE_ANSWERS
        from gfe.services.clearances import BOOKED_SERVICES
        from medspa import dashboards
        from medspa.messaging.opt_out import TEXTS_OWED, TextsOwed
        from medspa.payments.charges import SETTLED_LATE
        from medspa.search import SEARCH, SearchSource
        from medspa.selectors.patients import PROVIDER_PATIENT_LINKS
        from medspa.views.panels import ADMIN_TODAY, ADMIN_TODO, PATIENT, Panel
        from scheduling.models import NotificationLog
        from scheduling.selectors import (
            intake_answers,
            patient_appointments,
            patient_paperwork,
            search,
            today,
        )
        from scheduling.services.deposits import deposit_return_if_unbooked
        from scheduling.services.notifications import NOTIFICATIONS
        from scheduling.views import onboarding_steps

        onboarding_steps.register()
        PATIENT.register(
            Panel(
                "scheduling/_patient_appointments.html", patient_appointments.profile_panel_context, order=20
            )
        )
        PATIENT.register(
            Panel("scheduling/_patient_paperwork.html", patient_paperwork.profile_panel_context, order=25)
        )
        ADMIN_TODO.register(
            Panel("scheduling/_admin_todo_paperwork.html", patient_paperwork.admin_todo_context)
        )
        ADMIN_TODAY.register(Panel("scheduling/_admin_today.html", today.admin_today_context, order=10))
        PROVIDER_PATIENT_LINKS.register(patient_appointments.appointment_link)
        BOOKED_SERVICES.register(patient_appointments.booked_services)
        INTAKE_ANSWERS.register(intake_answers.answered_forms)
        TEXTS_OWED.register(
            TextsOwed(
                lambda ids: NotificationLog.objects.filter(appointment__patient_id__in=ids), NOTIFICATIONS
            )
        )
        SETTLED_LATE.register(deposit_return_if_unbooked)
        # The coordinator opens no patient profile: a patient found opens the booking form for them instead.
        SEARCH.register(
            SearchSource(
                "patients", "Patients", frozenset({dashboards.COORDINATOR}), search.patients_to_book, order=10
            )
        )
        SEARCH.register(
            SearchSource(
                "appointments",
                "Appointments",
                frozenset({dashboards.ADMIN, dashboards.COORDINATOR}),
                search.appointments_found,
                order=20,
            )
        )
