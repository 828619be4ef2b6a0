from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from gfe.services import BOOKED_SERVICES
        from medspa.selectors.patients import PROVIDER_PATIENT_LINKS
        from medspa.views.panels import PATIENT, Panel
        from scheduling import hooks, onboarding_steps

        onboarding_steps.register()
        PATIENT.register(
            Panel("scheduling/_patient_appointments.html", hooks.profile_panel_context, order=20)
        )
        PROVIDER_PATIENT_LINKS.register(hooks.appointment_link)
        BOOKED_SERVICES.register(hooks.booked_services)
