"""The Portrait services library is a data file (services_catalog/data/library.json), loaded by
`manage.py library_load` and by `seed_demo`. The figures below are those of the Python module the file
replaced: the same groups, services and texts, and the same links between them."""

from decimal import Decimal

from django.core.management import call_command

from services_catalog.library import library_read
from services_catalog.models import CareMessage, Consent, LibraryService, ServiceGroup, StandingOrder

GROUPS = [
    ("Neurotoxins", 5),
    ("Dermal fillers", 5),
    ("Skin", 6),
    ("IV therapy", 4),
    ("Laser & light", 5),
    ("Body", 4),
]


def _services(data):
    return [(group["name"], item) for group in data["groups"] for item in group["services"]]


def test_the_library_file_holds_the_groups_services_and_texts_the_module_held():
    data = library_read()
    assert [(group["name"], len(group["services"])) for group in data["groups"]] == GROUPS
    assert list(data["consents"]) == [
        "neurotoxin", "dermal-filler", "hyaluronidase", "chemical-peel", "microneedling", "facial",
        "iv-therapy", "laser-hair-removal", "ipl", "deoxycholic-acid", "weight-management",
    ]  # fmt: skip
    assert list(data["standing_orders"]) == [key for key in data["consents"] if key != "facial"]
    assert len(data["care_messages"]) == 20
    assert {entry["timing"] for entry in data["care_messages"].values()} == {"pre", "post"}
    for texts in ("consents", "standing_orders", "care_messages"):
        assert all(entry["title"] and entry["text"] for entry in data[texts].values())
    services = [item for _, item in _services(data)]
    assert len({item["name"] for item in services}) == 29
    assert sum(len(item["consents"]) for item in services) == 29
    assert sum(len(item["care_messages"]) for item in services) == 57
    assert sum(bool(item["standing_order"]) for item in services) == 27
    assert sum(item["requires_gfe"] for item in services) == 27
    # Every key a service names is a text of the file.
    for item in services:
        assert set(item["consents"]) <= set(data["consents"])
        assert set(item["care_messages"]) <= set(data["care_messages"])
        assert item["standing_order"] is None or item["standing_order"] in data["standing_orders"]
        assert Decimal(item["price"]) >= 0 and isinstance(item["duration_minutes"], int)


def test_library_load_puts_the_file_in_the_database_once(db, capsys):
    call_command("library_load")
    assert capsys.readouterr().out.strip() == "Portrait library ready: 29 services."
    call_command("library_load")
    assert capsys.readouterr().out.strip() == "Portrait library ready: 29 services."
    data = library_read()
    assert list(ServiceGroup.library.order_by("position").values_list("name", flat=True)) == [
        name for name, _ in GROUPS
    ]
    assert (Consent.library.count(), StandingOrder.library.count(), CareMessage.library.count()) == (
        11,
        10,
        20,
    )
    assert LibraryService.objects.count() == 29
    for group_name, item in _services(data):
        service = LibraryService.objects.get(name=item["name"])
        assert service.group.name == group_name and service.description == item["description"]
        assert service.default_price == Decimal(item["price"])
        assert (service.duration_minutes, service.requires_gfe) == (
            item["duration_minutes"],
            item["requires_gfe"],
        )
        order = data["standing_orders"].get(item["standing_order"])
        assert (service.standing_order.title if service.standing_order else None) == (
            order and order["title"]
        )
        assert {c.title for c in service.consents.all()} == {
            data["consents"][k]["title"] for k in item["consents"]
        }
        assert {m.title for m in service.care_messages.all()} == {
            data["care_messages"][key]["title"] for key in item["care_messages"]
        }
    for model, texts in (
        (Consent, "consents"),
        (StandingOrder, "standing_orders"),
        (CareMessage, "care_messages"),
    ):
        for entry in data[texts].values():
            document = model.library.get(title=entry["title"])
            assert [(v.number, v.text) for v in document.versions.all()] == [(1, entry["text"])]
    for entry in data["care_messages"].values():
        assert CareMessage.library.get(title=entry["title"]).timing == entry["timing"]
