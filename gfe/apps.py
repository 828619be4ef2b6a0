from django.apps import AppConfig


class GfeConfig(AppConfig):
    name = "gfe"
    verbose_name = "GFE management"
