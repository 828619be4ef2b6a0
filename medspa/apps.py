from django.apps import AppConfig


class MedspaConfig(AppConfig):
    name = "medspa"
    verbose_name = "Medspas, people and audit"

    def connect_signals(self) -> None:
        from medspa import signals  # noqa: F401

    def ready(self) -> None:
        self.connect_signals()
        from medspa import onboarding_steps

        onboarding_steps.register()
