"""The contract between the clients and the vendors' documentation: every call a client makes is an
operation its vendor documents (transition/tests/vendor_docs/<vendor>/endpoints.json), every documented
operation the product lists (VENDOR_OPERATIONS, the table in docs/transition.md) is one the clients call,
and the stub answers as the documentation shows. The `stub` fixture applies the first rule to every test
that uses it."""

from datetime import date

import pytest

from tests.stub_server import AC, OP, PREFIXES, TC, documented_operations, vendor_doc
from transition.integrations import VENDOR_OPERATIONS, IntegrationError
from transition.integrations.acuity import AcuityClient
from transition.integrations.openphone import OpenPhoneClient
from transition.integrations.tigerconnect import TigerConnectClient

VENDOR_KEYS = {"Acuity": "acuity", "OpenPhone": "openphone", "TigerConnect": "tigerconnect"}


def documented(vendor: str) -> set[tuple[str, str]]:
    return {(row["method"], row["path"]) for row in vendor_doc(vendor, "endpoints.json")}


def test_every_operation_the_product_lists_is_documented_with_its_source():
    for vendor, call, url in VENDOR_OPERATIONS:
        method, path = call.split(" ", 1)
        key = VENDOR_KEYS[vendor]
        path = path.removeprefix("/v1") if key == "openphone" else path  # the base URL holds /v1
        rows = {(row["method"], row["path"]): row["doc"] for row in vendor_doc(key, "endpoints.json")}
        templated = {(m, p.replace("{phoneNumberId}", "{id}")): doc for (m, p), doc in rows.items()}
        assert (method, path) in templated, f"{vendor} {call} is not in vendor_docs/{key}/endpoints.json"
        assert templated[(method, path)] == url


def test_every_client_call_is_documented_and_every_documented_call_is_made(configured):
    stub = configured
    stub.state.phone_numbers["PN1"] = {"id": "PN1"}
    stub.state.tc_groups["G1"] = "active"
    stub.state.calendars.extend(vendor_doc("acuity", "calendars.json"))
    stub.state.appointment_types.extend(vendor_doc("acuity", "appointment-types.json"))
    stub.state.appointments.extend(vendor_doc("acuity", "appointments.json"))
    with AcuityClient() as acuity:
        acuity.appointments_between(date(2013, 7, 1), date(2013, 7, 31), calendar_id=27238)
        acuity.list_calendars()
        acuity.list_appointment_types()
    with OpenPhoneClient() as openphone:
        openphone.number_in_workspace("PN1")
    with TigerConnectClient() as tigerconnect:
        tigerconnect.delete_group("G1")
    assert stub.undocumented() == []
    operations = documented_operations()
    for vendor, rows in operations.items():
        for method, pattern in rows:
            assert any(r.method == method and pattern.fullmatch(r.path) for r in stub.requests), (
                f"{vendor}: {method} {pattern.pattern} is documented but never called"
            )


@pytest.mark.parametrize(
    ("client_class", "method", "path", "stub_path"),
    [
        (AcuityClient, "POST", "calendars/11/revoke-access", f"{AC}/calendars/11/revoke-access"),
        (OpenPhoneClient, "POST", "phone-numbers/PN1/transfers", f"{OP}/phone-numbers/PN1/transfers"),
        (TigerConnectClient, "POST", "v2/users/U1/deactivate", f"{TC}/v2/users/U1/deactivate"),
    ],
)
def test_a_call_the_vendor_does_not_document_is_refused_and_reported(
    configured, client_class, method, path, stub_path
):
    """The operations the clients once invented: the stub answers 404 as the vendor would, and the contract
    reports them (the fixture would fail the test; it is emptied here once checked)."""
    with client_class() as client, pytest.raises(IntegrationError) as raised:
        client.request(method, path)
    assert raised.value.status == 404
    assert configured.undocumented() == [f"{method} {stub_path}"]
    configured.requests.clear()


def test_the_stub_answers_as_the_documentation_shows(configured):
    stub = configured
    stub.state.phone_numbers["PN1"] = {"id": "PN1"}
    with OpenPhoneClient() as client:
        number = client.get_phone_number("PN1")
        with pytest.raises(IntegrationError) as missing:
            client.get_phone_number("PN404")
    example = vendor_doc("openphone", "phone-number.json")["data"]
    assert (number.id, number.group_id, number.porting_status) == ("PN1", example["groupId"], "completed")
    assert missing.value.status == 404
    assert vendor_doc("openphone", "error-404.json")["code"] in missing.value.detail
    assert set(PREFIXES) == {"acuity", "openphone", "tigerconnect"}
    assert documented("tigerconnect") == {("DELETE", "/v2/group/{token}/")}
