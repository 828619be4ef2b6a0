from django.apps import AppConfig


class MedspaConfig(AppConfig):
    name = "medspa"
    verbose_name = "Medspas, people and audit"

    def connect_signals(self) -> None:
        from medspa import plan_changes, signals  # noqa: F401

    def ready(self) -> None:
        self.connect_signals()
        from django.db.models.signals import post_migrate

        from medspa import celery_health  # noqa: F401 (its system check)
        from medspa.database import database_post_migrate

        post_migrate.connect(database_post_migrate, sender=self, dispatch_uid="medspa.database_post_migrate")
        from medspa import search
        from medspa.selectors.payments import payments_panel_context
        from medspa.services import onboarding_steps
        from medspa.views import patient_cards
        from medspa.views.panels import ACCOUNT_SETTINGS, PATIENT, Panel

        onboarding_steps.register()
        search.register()
        # Between the transition's card (10) and billing's (20): the card for Portrait's bills is set here.
        ACCOUNT_SETTINGS.register(
            Panel("medspa/_account_settings_payments.html", payments_panel_context, order=15)
        )
        PATIENT.register(
            Panel("medspa/patients/_card_panel.html", patient_cards.card_panel_context, order=40)
        )
