from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from billing import receivers  # noqa: F401 (connects the business-model receiver)
        from billing.panels import account_settings_context
        from medspa.panels import ACCOUNT_SETTINGS, Panel

        ACCOUNT_SETTINGS.register(Panel("billing/_account_settings.html", account_settings_context, order=20))
