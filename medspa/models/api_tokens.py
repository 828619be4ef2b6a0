"""Personal API tokens (django-rest-knox): only a hash is stored, each token expires, and its last use is
recorded, so that a leaked database opens nothing and a forgotten token stops working by itself."""

from django.db import models
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A user's token for /api/v1/. `digest` is the token's SHA-512 (the token itself is shown once, when it
    is made), `token_key` its first characters to find it by; `expiry` ends it, revoking deletes it."""

    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.token_key}… of {self.user} ({self.name or 'unnamed'})"
