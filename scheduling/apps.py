from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from scheduling import hooks, onboarding_steps  # noqa: F401 (hooks register themselves)

        onboarding_steps.register()
