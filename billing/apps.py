from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from billing import services
        from billing.panels import account_settings_context
        from medspa.plan_changes import PLAN_FOLLOWERS
        from medspa.views.panels import ACCOUNT_SETTINGS, Panel

        PLAN_FOLLOWERS.register(services.plan_follow)
        ACCOUNT_SETTINGS.register(Panel("billing/_account_settings.html", account_settings_context, order=20))
