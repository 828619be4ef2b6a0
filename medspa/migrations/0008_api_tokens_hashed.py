"""The plaintext tokens of DRF's authtoken become hashed, expiring knox tokens, and their table goes.

A token is looked up by the SHA-512 of the string the client sends, so an existing token can be hashed
now and keeps working until it expires (API_TOKEN_TTL_DAYS from this migration); nothing in the database
can give the token back afterwards."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

PLAINTEXT_TABLE = "authtoken_token"  # rest_framework.authtoken's, no longer installed


def plaintext_tokens_hash(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if PLAINTEXT_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("medspa", "ApiToken")
    expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {PLAINTEXT_TABLE}")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken(
            digest=hash_token(key), token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=user_id,
            expiry=expiry, name="Issued before tokens were hashed",
        )  # fmt: skip
        token.save(force_insert=True)
        ApiToken._base_manager.filter(pk=token.pk).update(created=created)  # auto_now_add set it to now
    schema_editor.execute(f"DROP TABLE {PLAINTEXT_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("medspa", "0007_api_token")]

    # Irreversible: the plaintext cannot be recovered from a hash, which is the point.
    operations = [migrations.RunPython(plaintext_tokens_hash)]
