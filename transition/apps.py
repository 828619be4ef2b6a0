from django.apps import AppConfig


class TransitionConfig(AppConfig):
    name = "transition"
    verbose_name = "Legacy to Launch / Flex transition"

    def ready(self) -> None:
        from medspa.views.panels import ACCOUNT_SETTINGS, Panel
        from transition.selectors.account_settings import account_settings_context

        ACCOUNT_SETTINGS.register(
            Panel("transition/_account_settings.html", account_settings_context, order=10)
        )
