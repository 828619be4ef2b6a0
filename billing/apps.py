from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from billing.selectors.account_settings import account_settings_context
        from billing.services.payments import bill_charge_follow
        from billing.services.plans import plan_follow
        from medspa.payments.events import FOLLOWERS
        from medspa.plan_changes import PLAN_FOLLOWERS
        from medspa.views.panels import ACCOUNT_SETTINGS, Panel

        PLAN_FOLLOWERS.register(plan_follow)
        FOLLOWERS.register(bill_charge_follow)
        ACCOUNT_SETTINGS.register(Panel("billing/_account_settings.html", account_settings_context, order=20))
