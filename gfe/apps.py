from django.apps import AppConfig


class GfeConfig(AppConfig):
    name = "gfe"
    verbose_name = "GFE management"

    def ready(self) -> None:
        from gfe import onboarding_steps
        from gfe.selectors import profile_panel_context
        from medspa.views.panels import PATIENT, Panel

        onboarding_steps.register()
        PATIENT.register(Panel("gfe/_patient_clearances.html", profile_panel_context, order=10))
