from django.apps import AppConfig


class TransitionConfig(AppConfig):
    name = "transition"
    verbose_name = "Legacy to Launch / Flex transition"
