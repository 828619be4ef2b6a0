from django.apps import AppConfig


class GfeConfig(AppConfig):
    name = "gfe"
    verbose_name = "GFE management"

    def ready(self) -> None:
        from gfe.selectors import waiting
        from gfe.selectors.clearances import profile_panel_context
        from gfe.services import onboarding
        from medspa.views.panels import ADMIN_TODAY, PATIENT, Panel

        onboarding.register()
        PATIENT.register(Panel("gfe/_patient_clearances.html", profile_panel_context, order=10))
        ADMIN_TODAY.register(Panel("gfe/_admin_today.html", waiting.admin_today_context, order=20))
