from django.apps import AppConfig


class GfeConfig(AppConfig):
    name = "gfe"
    verbose_name = "GFE management"

    def ready(self) -> None:
        from gfe.selectors.clearances import profile_panel_context
        from gfe.services import onboarding
        from medspa.views.panels import PATIENT, Panel

        onboarding.register()
        PATIENT.register(Panel("gfe/_patient_clearances.html", profile_panel_context, order=10))
