"""Stripe's published OpenAPI specification (medspa/tests/stripe_docs/openapi.json) as a contract: every
request the product sends to Stripe must name an operation the specification has, with only parameters
that operation takes (at every level of a nested form), every required one, and the product's own rules on
top: the secret key as a Bearer token, an Idempotency-Key on every POST, a connected account named as
`acct_…`.

`violations(requests)` returns what is wrong, one line per fault; the `stripe_local` fixture checks every
test's requests with it when the test ends, so that no test can make a call the specification lacks."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "medspa" / "tests" / "stripe_docs" / "openapi.json"


@cache
def spec() -> dict:
    return json.loads(SPEC.read_text())


@cache
def _templates() -> list[tuple[re.Pattern, str]]:
    """(regex, path template), literal paths first: /v1/payment_intents/{intent}/confirm before {intent}."""
    rows = []
    for template in spec()["paths"]:
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        rows.append((re.compile(f"^{pattern}$"), template))
    rows.sort(key=lambda row: row[1].count("{"))
    return rows


def operation(method: str, path: str) -> tuple[str, dict] | None:
    for pattern, template in _templates():
        if pattern.match(path):
            found = spec()["paths"][template].get(method.lower())
            if found is not None:
                return template, found
    return None


def _keys(flat: dict) -> dict:
    """The form's flat keys (`metadata[sale]`, `expand[0]`) as a tree of names, as Stripe reads them."""
    tree: dict = {}
    for key in flat:
        parts = re.findall(r"[^\[\]]+", key)
        node = tree
        for part in parts:
            node = node.setdefault("[]" if part.isdigit() else part, {})
    return tree


def _schemas(schema: dict) -> list[dict]:
    """The alternatives of a schema (anyOf / oneOf), each an object or a scalar schema."""
    for name in ("anyOf", "oneOf"):
        if name in schema:
            return [alternative for option in schema[name] for alternative in _schemas(option)]
    return [schema]


def _check(tree: dict, schema: dict, where: str, faults: list[str]) -> None:
    if not tree:
        return
    options = _schemas(schema)
    objects = [option for option in options if option.get("type") == "object" or "properties" in option]
    arrays = [option for option in options if option.get("type") == "array"]
    if set(tree) == {"[]"} and arrays:
        _check(tree["[]"], arrays[0].get("items", {}), f"{where}[]", faults)
        return
    if not objects:
        faults.append(f"{where} is not an object in the specification")
        return
    for option in objects:
        properties = option.get("properties", {})
        if option.get("additionalProperties") and not properties:  # metadata: any key
            return
        if set(tree) <= set(properties):
            for name, below in tree.items():
                _check(below, properties[name], f"{where}[{name}]" if where else name, faults)
            return
    known = set().union(*(option.get("properties", {}).keys() for option in objects))
    for name in sorted(set(tree) - known):
        faults.append(f"unknown parameter {where + '[' + name + ']' if where else name}")


def violations(requests: list[dict]) -> list[str]:
    faults = []
    for request in requests:
        if request.get("by") != "server":
            continue  # Stripe.js's own requests, from the browser
        label = f"{request['method']} {request['path']}"
        found = operation(request["method"], request["path"])
        if found is None:
            faults.append(f"{label}: no such operation in Stripe's specification")
            continue
        template, op = found
        headers = request["headers"]
        if not headers.get("Authorization", "").startswith("Bearer sk_"):
            faults.append(f"{label}: not authenticated with a secret key")
        account = headers.get("Stripe-Account")
        if account is not None and not account.startswith("acct_"):
            faults.append(f"{label}: Stripe-Account {account!r} is not an account id")
        if request["method"] == "POST":
            if not headers.get("Idempotency-Key"):
                faults.append(f"{label}: a POST without an Idempotency-Key")
            body = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
            schema = body.get("schema", {"type": "object", "properties": {}})
            tree = _keys(request["form"])
            problems: list[str] = []
            _check(tree, schema, "", problems)
            faults += [f"{label}: {problem}" for problem in problems]
            for name in schema.get("required", []):
                if name not in tree:
                    faults.append(f"{label}: required parameter {name} missing")
        else:
            allowed = {
                parameter["name"] for parameter in op.get("parameters", []) if parameter["in"] == "query"
            }
            for key, _value in request["query"]:
                name = re.split(r"\[", key, maxsplit=1)[0]
                if name not in allowed:
                    faults.append(f"{label}: unknown query parameter {key}")
    return faults
