"""The API's OpenAPI schema (drf-spectacular), saying what the views really answer: integer ids in paths,
wall-clock times as written, and the error responses every operation can give, not only its success."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.drainage import has_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import append_meta, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiTokenScheme(KnoxTokenScheme):
    """Our knox authentication (which records the last use) is knox's scheme: `Authorization: Token …`."""

    target_class = "medspa.api.auth.ApiTokenAuthentication"


class ErrorSerializer(serializers.Serializer):
    """A refused request (403, 404, 409, 415, 429): why."""

    detail = serializers.CharField()


FIELD_ERRORS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Invalid input: each refused field (or `detail` for the whole request) with its messages.",
)
ERRORS = {
    "400": FIELD_ERRORS,
    "403": OpenApiResponse(ErrorSerializer, "Not signed in, no two-factor authentication, or not your role."),
    "404": OpenApiResponse(ErrorSerializer, "No such object in your medspa, or no such page of the list."),
    "415": OpenApiResponse(ErrorSerializer, "A request body in a media type the operation does not read."),
    "429": OpenApiResponse(ErrorSerializer, "Too many requests: try again after the Retry-After seconds."),
}
# A time of day as the API writes it: the location's wall clock, no offset ("09:00:00"). JSON Schema's
# "time" format is RFC 3339's, which requires one.
WALL_CLOCK_TIME = {
    "type": "string",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "example": "09:00:00",
}


class ApiAutoSchema(AutoSchema):
    def _resolve_path_parameters(self, variables):
        # The routers' lookups are `<str:pk>`, but every object is found by its integer id (anything else
        # is a 404).
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] in ("id", "pk"):
                parameter["schema"] = build_basic_type(OpenApiTypes.INT)
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField) and not has_override(field, "field"):
            return append_meta(dict(WALL_CLOCK_TIME), self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = ["403", "429"]  # every operation is throttled (medspa.api.throttling)
        if self.method not in ("GET", "HEAD", "OPTIONS") or any(
            p["in"] == "query" and p["name"] != "page" for p in parameters
        ):
            codes.append("400")
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ERRORS[code], code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation
