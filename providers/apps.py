"""The provider's working day: patients, service-visit charting, retail checkout, earnings and to-do."""

from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Provider dashboard"

    def ready(self) -> None:
        from providers import hooks, panels  # noqa: F401 (they register themselves)
