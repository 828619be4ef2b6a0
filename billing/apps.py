from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Monthly billing"

    def ready(self) -> None:
        from billing import demo, receivers  # noqa: F401 (connects the business-model and demo receivers)
