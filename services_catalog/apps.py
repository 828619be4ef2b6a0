from django.apps import AppConfig


class ServicesCatalogConfig(AppConfig):
    name = "services_catalog"
    verbose_name = "Services / Products"

    def ready(self) -> None:
        from services_catalog.services import onboarding

        onboarding.register()
