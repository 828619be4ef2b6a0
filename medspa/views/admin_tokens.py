"""Django admin for API tokens: staff make one for a user (the token is shown once, in a message), see
every token's expiry and last use, and revoke any by deleting it. Only hashes are stored."""

from django import forms
from django.contrib import admin, messages
from knox.models import AuthToken

from medspa.models import ApiToken
from medspa.services.accounts import api_token_create, api_token_revoke

# knox registers its own model, which KNOX_TOKEN_MODEL swaps for ApiToken: it has no table.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "user", "name", "created", "expiry", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__email", "name"]
    raw_id_fields = ["user"]
    readonly_fields = ["token_key", "user", "name", "created", "expiry", "last_used_at"]
    fields = readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # a token is never edited: revoke it and make another
        token, plaintext = api_token_create(user=obj.user, name=obj.name)
        obj.pk = token.pk
        self.message_user(
            request,
            f"The token for {token.user}: {plaintext} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        api_token_revoke(token=obj)
