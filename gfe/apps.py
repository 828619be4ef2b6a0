from django.apps import AppConfig


class GfeConfig(AppConfig):
    name = "gfe"
    verbose_name = "GFE management"

    def ready(self) -> None:
        from gfe import onboarding_steps

        onboarding_steps.register()
