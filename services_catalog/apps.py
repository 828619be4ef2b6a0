from django.apps import AppConfig


class ServicesCatalogConfig(AppConfig):
    name = "services_catalog"
    verbose_name = "Services / Products"

    def ready(self) -> None:
        from medspa.demo import DEMO_SEEDERS
        from services_catalog import demo, onboarding_steps

        onboarding_steps.register()
        DEMO_SEEDERS.register(demo.demo_seed)
