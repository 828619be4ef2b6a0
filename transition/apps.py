from django.apps import AppConfig


class TransitionConfig(AppConfig):
    name = "transition"
    verbose_name = "Legacy to Launch / Flex transition"

    def ready(self) -> None:
        from transition import demo  # noqa: F401 (connects the demo seed)
