from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from billing import demo, services  # noqa: F401 (demo connects its receiver)
        from medspa import plan_changes

        plan_changes.register(services.plan_follow)
        from billing.panels import account_settings_context
        from medspa.panels import ACCOUNT_SETTINGS, Panel

        ACCOUNT_SETTINGS.register(Panel("billing/_account_settings.html", account_settings_context, order=20))
