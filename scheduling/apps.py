from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from scheduling import demo, hooks, onboarding_steps  # noqa: F401 (demo and hooks register themselves)

        onboarding_steps.register()
