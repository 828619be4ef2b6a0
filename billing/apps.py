from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from billing import receivers
        from billing.panels import account_settings_context
        from medspa.models import Medspa
        from medspa.panels import ACCOUNT_SETTINGS, Panel

        # Django's own signal, not a registry: the plan follows every save of a medspa, whatever saves it.
        post_save.connect(receivers.medspa_saved, sender=Medspa, dispatch_uid="billing-plan-sync")

        ACCOUNT_SETTINGS.register(Panel("billing/_account_settings.html", account_settings_context, order=20))
