from django.apps import AppConfig


class ServicesCatalogConfig(AppConfig):
    name = "services_catalog"
    verbose_name = "Services / Products"

    def ready(self) -> None:
        from services_catalog import demo, onboarding_steps  # noqa: F401 (demo connects its receiver)

        onboarding_steps.register()
