"""Reading docker-compose.yml as Docker Compose does, for tests/test_deploy_files.py: the YAML (anchors and
merge keys resolved), then the variables interpolated, as the Compose specification's interpolation section
says (https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md)."""

import re

# $$ is a literal $; $NAME and ${NAME}; ${NAME:-default} / ${NAME-default} when unset or empty / unset;
# ${NAME:?error} / ${NAME?error} refuse to go on; ${NAME:+other} / ${NAME+other} the reverse of a default.
VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^{}$]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(LookupError):
    """A ${NAME:?error} whose variable is unset (or empty): Compose stops with the error."""


def interpolate(value, environment: dict[str, str]):
    """`value` (the loaded YAML: dicts, lists, scalars) with every string interpolated from `environment`."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if isinstance(value, str):
        return _interpolate_string(value, environment)
    return value


def _interpolate_string(text: str, environment: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match["dollar"]:
            return "$"
        name = match["named"] or match["braced"]
        operator, argument = match["operator"] or "", match["argument"] or ""
        value = environment.get(name)
        present = value is not None and (value != "" or not operator.startswith(":"))
        if operator.endswith("-"):
            return value if present else argument
        if operator.endswith("?"):
            if not present:
                raise MissingVariable(f"{name}: {argument}")
            return value
        if operator.endswith("+"):
            return argument if present else ""
        return value or ""

    result = VARIABLE.sub(replace, text)
    if "${" in text.replace("$$", "") and "${" in VARIABLE.sub("", text.replace("$$", "")):
        # A form this reader does not know (nested defaults): better refused than read wrong.
        raise ValueError(f"cannot interpolate {text!r}")
    return result
