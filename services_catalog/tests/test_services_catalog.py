from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from medspa.tenancy import medspa_scope
from services_catalog.models import (
    Consent,
    ConsentVersion,
    RetailProduct,
    Service,
    ServiceGroup,
    StandingOrder,
)
from services_catalog.selectors import catalog as selectors
from services_catalog.services import catalog
from services_catalog.services import errors as catalog_errors
from services_catalog.services import texts as catalog_texts
from tests import factories


@pytest.fixture
def library(db):
    return factories.library_service()


def imported(cast, library, **fields) -> Service:
    service = catalog.service_import(medspa=cast.medspa_a, library_service=library)
    for name, value in fields.items():
        setattr(service, name, value)
    service.save()
    return service


class TestImport:
    def test_an_admin_imports_a_library_service_and_sets_its_price(self, client_as, cast, library):
        with medspa_scope(cast.medspa_a):
            client = client_as("admin_a")
            assert library.name in client.get("/dashboard/services/library/").content.decode()
            response = client.post(f"/dashboard/services/library/{library.pk}/import/")
            service = Service.objects.get(medspa=cast.medspa_a)
            assert response["Location"] == f"/dashboard/services/{service.pk}/"
            assert (service.price, service.is_active) == (Decimal("325.00"), False)
            client.post(f"/dashboard/services/{service.pk}/", {"price": "299.00", "is_active": "on"})
            service.refresh_from_db()
            assert (service.price, service.is_active) == (Decimal("299.00"), True)

    def test_a_service_is_imported_once(self, client_as, cast, library):
        with medspa_scope(cast.medspa_a):
            client = client_as("admin_a")
            client.post(f"/dashboard/services/library/{library.pk}/import/")
            response = client.post(f"/dashboard/services/library/{library.pk}/import/", follow=True)
            assert "already among your services" in response.content.decode()
            assert Service.objects.filter(medspa=cast.medspa_a).count() == 1

    def test_the_form_refuses_a_change_of_an_imported_services_name(self, client_as, cast, library):
        service = imported(cast, library)
        response = client_as("admin_a").post(
            f"/dashboard/services/{service.pk}/", {"price": "10.00", "name": "My own name"}
        )
        assert response.status_code == 400
        assert "comes from the Portrait library: only its price" in response.content.decode()
        service.refresh_from_db()
        assert service.price == Decimal("325.00") and service.display_name == library.name

    def test_the_api_refuses_a_patch_of_an_imported_services_name(self, client_as, cast, library):
        service = imported(cast, library)
        client = client_as("admin_a")
        response = client.patch(
            f"/api/v1/services/{service.pk}/", {"name": "Mine"}, content_type="application/json"
        )
        assert response.status_code == 400
        assert "only its price and whether it is active can change" in response.json()["name"][0]
        response = client.patch(
            f"/api/v1/services/{service.pk}/", {"price": "280.00"}, content_type="application/json"
        )
        assert response.status_code == 200 and response.json()["price"] == "280.00"
        assert response.json()["name"] == library.name
        service.refresh_from_db()
        assert service.price == Decimal("280.00")

    def test_the_service_layer_refuses_it_too(self, cast, library):
        with medspa_scope(cast.medspa_a):
            service = imported(cast, library)
            with pytest.raises(catalog_errors.ImportedServiceLocked):
                catalog.service_update(service=service, data={"duration_minutes": 90})
            # Sending the unchanged value is not a change.
            catalog.service_update(service=service, data={"name": library.name, "price": Decimal("1.00")})

    def test_a_library_update_reaches_the_medspa_but_its_price_stays(self, client_as, cast, library):
        service = imported(cast, library, price=Decimal("299.00"))
        library.description = "Softens frown lines between the brows."
        library.default_price = Decimal("350.00")
        library.save()
        staff = client_as("staff")
        new_consent_text = "Updated library consent text, version two, with new risks listed."
        consent = library.consents.get()
        staff.post(
            f"/admin/services_catalog/consent/{consent.pk}/change/",
            {
                "title": consent.title,
                "text": new_consent_text,
                "versions-TOTAL_FORMS": "0",
                "versions-INITIAL_FORMS": "0",
            },
        )
        page = client_as("admin_a").get(f"/dashboard/services/{service.pk}/").content.decode()
        assert "Softens frown lines between the brows." in page
        # The library's consent and care message reach the medspa's page through the service's relations.
        assert consent.title in page and library.care_messages.get().title in page
        service.refresh_from_db()
        assert service.price == Decimal("299.00")
        assert service.effective_consents()[0].current_version.text == new_consent_text
        assert consent.versions.count() == 2


class TestCustom:
    def test_an_admin_creates_a_group_with_a_custom_consent_then_a_service(self, client_as, cast):
        with medspa_scope(cast.medspa_a):
            client = client_as("admin_a")
            response = client.post(
                "/dashboard/services/texts/consents/new/",
                {
                    "title": "Our microneedling consent",
                    "text": "Microneedling creates tiny channels in the skin...",
                },
                HTTP_HX_REQUEST="true",
            )
            assert response.status_code == 200 and "Our microneedling consent" in response.content.decode()
            consent = Consent.objects.get(medspa=cast.medspa_a)
            assert "checked" in response.content.decode()
            response = client.post(
                "/dashboard/services/groups/new/", {"name": "Skin", "default_consents": [consent.pk]}
            )
            group = ServiceGroup.objects.get(medspa=cast.medspa_a)
            assert response["Location"] == f"/dashboard/services/new/?group={group.pk}"
            form_page = client.get(response["Location"])
            assert form_page.context["form"].initial["consents"] == [consent]
            client.post(
                "/dashboard/services/new/",
                {
                    "group": group.pk,
                    "name": "Microneedling",
                    "description": "Collagen induction",
                    "price": "350",
                    "duration_minutes": "60",
                    "requires_gfe": "on",
                    "consents": [consent.pk],
                    "is_active": "on",
                },
            )
            service = Service.objects.get(medspa=cast.medspa_a, name="Microneedling")
            assert list(service.consents.all()) == [consent] and service.is_active

    def test_a_custom_service_is_editable_in_full(self, client_as, cast):
        group = catalog.group_save(medspa=cast.medspa_a, data={"name": "Skin"})
        service = catalog.service_create(
            medspa=cast.medspa_a,
            data={"group": group, "name": "Peel", "price": Decimal("100"), "duration_minutes": 30},
        )
        client_as("admin_a").post(
            f"/dashboard/services/{service.pk}/",
            {"group": group.pk, "name": "Glow peel", "price": "120", "duration_minutes": "45"},
        )
        service.refresh_from_db()
        assert (service.name, service.price, service.duration_minutes) == ("Glow peel", Decimal("120"), 45)

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("price", "-5", "greater than or equal to 0"),
            ("price", "abc", "Enter a number"),
            ("duration_minutes", "0", "greater than or equal to 5"),
            ("name", "", "This field is required"),
        ],
    )
    def test_bad_input_gives_field_errors_and_stores_nothing(self, client_as, cast, field, value, message):
        group = catalog.group_save(medspa=cast.medspa_a, data={"name": "Skin"})
        data = {"group": group.pk, "name": "Peel", "price": "100", "duration_minutes": "30", field: value}
        response = client_as("admin_a").post("/dashboard/services/new/", data)
        assert response.status_code == 400 and message in response.content.decode()
        assert not Service.objects.exists()

    def test_another_medspas_group_or_consent_cannot_be_used(self, cast):
        theirs = catalog.group_save(medspa=cast.medspa_b, data={"name": "Theirs"})
        with pytest.raises(catalog_errors.ServiceRuleBroken):
            catalog.service_create(
                medspa=cast.medspa_a,
                data={"group": theirs, "name": "X", "price": Decimal(1), "duration_minutes": 30},
            )
        group = catalog.group_save(medspa=cast.medspa_a, data={"name": "Mine"})
        their_consent = catalog_texts.text_create(
            model=Consent,
            medspa=cast.medspa_b,
            title="Theirs",
            by=None,
            text="Their own consent text, not ours.",
        )
        with pytest.raises(catalog_errors.ServiceRuleBroken):
            catalog.service_create(
                medspa=cast.medspa_a,
                data={
                    "group": group,
                    "name": "X",
                    "price": Decimal(1),
                    "duration_minutes": 30,
                    "consents": [their_consent],
                },
            )


class TestVersions:
    def test_editing_a_consent_adds_a_version_and_an_old_signature_keeps_the_old_text(self, client_as, cast):
        consent = catalog_texts.text_create(
            model=Consent,
            medspa=cast.medspa_a,
            title="Peel consent",
            by=None,
            text="The original consent text the patient signs.",
        )
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        signature = catalog_texts.consent_sign(
            patient=patient,
            version=consent.current_version,
            signature=ContentFile(b"png", name="s.png"),
            witnessed_by=cast.admin_a,
            ip="127.0.0.1",
        )
        client = client_as("admin_a")
        client.post(
            f"/dashboard/services/texts/consents/{consent.pk}/",
            {"title": "Peel consent", "text": "A revised consent text with a new risk listed."},
        )
        assert list(consent.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
        signature.refresh_from_db()
        assert signature.version.text == "The original consent text the patient signs."
        assert consent.current_version.text == "A revised consent text with a new risk listed."
        history = client.get(f"/dashboard/services/texts/consents/{consent.pk}/?version=1").content.decode()
        assert "The original consent text the patient signs." in history and "Version 2" in history

    def test_an_unchanged_text_adds_no_version(self, cast):
        consent = catalog_texts.text_create(
            model=Consent,
            medspa=cast.medspa_a,
            title="C",
            by=None,
            text="Same text as before, no change here.",
        )
        catalog_texts.text_revise(document=consent, text="Same text as before, no change here.", by=None)
        assert consent.versions.count() == 1

    def test_the_database_refuses_to_change_a_version(self, cast):
        from django.db import DatabaseError, transaction

        consent = catalog_texts.text_create(
            model=Consent,
            medspa=cast.medspa_a,
            title="C",
            by=None,
            text="A consent text that must never change.",
        )
        with pytest.raises(DatabaseError), transaction.atomic():
            ConsentVersion.objects.filter(consent=consent).update(text="tampered")
        assert consent.current_version.text == "A consent text that must never change."

    def test_a_medspa_cannot_edit_portraits_texts(self, client_as, cast, library):
        consent = library.consents.get()
        response = client_as("admin_a").post(
            f"/dashboard/services/texts/consents/{consent.pk}/", {"title": "X", "text": "y" * 30}, follow=True
        )
        assert "create your own to change it" in response.content.decode()
        assert consent.versions.count() == 1

    def test_a_changed_standing_order_must_be_signed_again(self, client_as, cast):
        with medspa_scope(cast.medspa_a):
            director = cast.admin_a.memberships.get()
            cast.medspa_a.medical_director = director
            cast.medspa_a.save()
            order = catalog_texts.text_create(
                model=StandingOrder,
                medspa=cast.medspa_a,
                title="Peel protocol",
                by=None,
                text="Protocol for chemical peels, version one.",
            )
            assert not selectors.standing_order_is_signed(cast.medspa_a, order)
            # Only the medical director signs.
            assert (
                client_as("provider_a1")
                .post(f"/dashboard/services/standing-orders/{order.pk}/sign/")
                .status_code
                == 403
            )
            client = client_as("admin_a")
            client.post(f"/dashboard/services/standing-orders/{order.pk}/sign/")
            assert selectors.standing_order_is_signed(cast.medspa_a, order)
            client.post(
                f"/dashboard/services/texts/standing-orders/{order.pk}/",
                {"title": "Peel protocol", "text": "Protocol for chemical peels, version two."},
            )
            assert not selectors.standing_order_is_signed(cast.medspa_a, order)
            page = client.get(f"/dashboard/services/texts/standing-orders/{order.pk}/").content.decode()
            assert "is not signed by your medical director" in page
            client.post(f"/dashboard/services/standing-orders/{order.pk}/sign/")
            assert selectors.standing_order_is_signed(cast.medspa_a, order)

    def test_an_admin_who_is_not_the_medical_director_cannot_sign(self, cast):
        with medspa_scope(cast.medspa_b):
            order = catalog_texts.text_create(
                model=StandingOrder,
                medspa=cast.medspa_b,
                title="P",
                by=None,
                text="A protocol text for the medspa.",
            )
            with pytest.raises(catalog_texts.ServiceRuleBroken, match="medical director"):
                catalog_texts.standing_order_sign(
                    medspa=cast.medspa_b,
                    version=order.current_version,
                    membership=cast.admin_b.memberships.get(),
                )


class TestActivation:
    def test_only_active_services_are_selectable(self, client_as, cast, library):
        with medspa_scope(cast.medspa_a):
            service = imported(cast, library)
            assert list(selectors.services_selectable(cast.medspa_a)) == []
            assert client_as("provider_a1").get("/api/v1/services/?selectable=true").json()["count"] == 0
            client_as("admin_a").post(f"/dashboard/services/{service.pk}/activate/", {"active": "1"})
            assert list(selectors.services_selectable(cast.medspa_a)) == [service]
            assert client_as("provider_a1").get("/api/v1/services/?selectable=true").json()["count"] == 1
            client_as("admin_a").post(f"/dashboard/services/{service.pk}/activate/", {"active": "0"})
            assert list(selectors.services_selectable(cast.medspa_a)) == []
            assert Service.objects.filter(pk=service.pk).exists()  # deactivating never deletes


class TestIsolation:
    def test_another_medspa_cannot_see_or_change_any_of_it(self, client_as, cast, library):
        with medspa_scope(cast.medspa_a):
            service = imported(cast, library)
            consent = catalog_texts.text_create(
                model=Consent,
                medspa=cast.medspa_a,
                title="Ours",
                by=None,
                text="Our own consent text for our patients.",
            )
            group = catalog.group_save(medspa=cast.medspa_a, data={"name": "Ours"})
            product = catalog.product_save(
                medspa=cast.medspa_a, data={"name": "Serum", "sku": "S1", "price": Decimal("10")}
            )
            for who in ("admin_b", "provider_b"):
                client = client_as(who)
                for url in [
                    f"/api/v1/services/{service.pk}/",
                    f"/api/v1/consents/{consent.pk}/",
                    f"/api/v1/service-groups/{group.pk}/",
                    f"/api/v1/retail-products/{product.pk}/",
                ]:
                    assert client.get(url).status_code == 404, (who, url)
                    assert client.patch(url, {"price": "1"}, content_type="application/json").status_code in (
                        403,
                        404,
                    )
            admin_b = client_as("admin_b")
            for url in [
                f"/dashboard/services/{service.pk}/",
                f"/dashboard/services/texts/consents/{consent.pk}/",
                f"/dashboard/services/groups/{group.pk}/",
                f"/dashboard/services/products/{product.pk}/",
            ]:
                assert admin_b.get(url).status_code == 404, url
            assert (
                admin_b.post(f"/dashboard/services/{service.pk}/activate/", {"active": "1"}).status_code
                == 404
            )
            service.refresh_from_db()
            assert not service.is_active and service.price == Decimal("325.00")

    def test_providers_read_services_but_cannot_change_them(self, client_as, cast, library):
        service = imported(cast, library)
        client = client_as("provider_a1")
        assert client.get(f"/api/v1/services/{service.pk}/").status_code == 200
        assert (
            client.patch(
                f"/api/v1/services/{service.pk}/", {"price": "1"}, content_type="application/json"
            ).status_code
            == 403
        )
        assert client.get("/dashboard/services/").status_code == 403


class TestApi:
    def test_custom_services_texts_and_products_through_the_api(self, client_as, cast, library):
        client = client_as("admin_a")
        group = client.post(
            "/api/v1/service-groups/", {"name": "Skin"}, content_type="application/json"
        ).json()
        consent = client.post(
            "/api/v1/consents/",
            {"title": "Peel consent", "text": "A consent text for peels."},
            content_type="application/json",
        ).json()
        assert consent["current_version"]["number"] == 1
        service = client.post(
            "/api/v1/services/",
            {
                "group": group["id"],
                "name": "Peel",
                "price": "99.00",
                "duration_minutes": 30,
                "consents": [consent["id"]],
            },
            content_type="application/json",
        )
        assert service.status_code == 201, service.json()
        revised = client.patch(
            f"/api/v1/consents/{consent['id']}/",
            {"text": "A second consent text for peels."},
            content_type="application/json",
        ).json()
        assert [v["number"] for v in revised["versions"]] == [2, 1]
        imported_ = client.post(f"/api/v1/library-services/{library.pk}/import/")
        assert imported_.status_code == 201 and imported_.json()["is_imported"]
        assert client.post(f"/api/v1/library-services/{library.pk}/import/").status_code == 400
        product = client.post(
            "/api/v1/retail-products/",
            {"name": "SPF 50", "sku": "spf-50", "price": "42.00"},
            content_type="application/json",
        )
        assert product.status_code == 201 and product.json()["sku"] == "SPF-50"
        clash = client.post(
            "/api/v1/retail-products/",
            {"name": "Other", "sku": "SPF-50", "price": "1.00"},
            content_type="application/json",
        )
        assert clash.status_code == 400 and "sku" in clash.json()

    def test_a_custom_service_needs_its_group_name_and_duration(self, client_as, cast):
        response = client_as("admin_a").post(
            "/api/v1/services/", {"price": "10.00"}, content_type="application/json"
        )
        assert response.status_code == 400
        assert set(response.json()) >= {"group", "name", "duration_minutes"}
        assert not Service.objects.exists()

    def test_the_services_list_takes_a_constant_number_of_queries(
        self, client_as, cast, django_assert_num_queries
    ):
        client = client_as("admin_a")
        for index in range(3):
            imported(cast, factories.library_service(name=f"Service {index}"))
        client.get("/api/v1/services/")
        # session, user, memberships, MFA, audit context, count, the page of services (with their groups,
        # standing orders and library services joined), four prefetches (consents and care messages, own
        # and the library's), audit context again, session save (savepoint, update, release)
        with django_assert_num_queries(15) as first:
            client.get("/api/v1/services/")
        for index in range(3, 9):
            imported(cast, factories.library_service(name=f"Service {index}"))
        with django_assert_num_queries(len(first.captured_queries)):
            client.get("/api/v1/services/")


def test_retail_products_page_creates_and_refuses_a_duplicate_sku(client_as, cast):
    with medspa_scope(cast.medspa_a):
        client = client_as("admin_a")
        client.post(
            "/dashboard/services/products/new/",
            {"name": "Serum", "sku": "ser-1", "price": "68.00", "taxable": "on", "is_active": "on"},
        )
        assert RetailProduct.objects.get(medspa=cast.medspa_a).sku == "SER-1"
        response = client.post(
            "/dashboard/services/products/new/", {"name": "Other", "sku": "SER-1", "price": "1"}
        )
        assert (
            response.status_code == 400
            and "Another of your products has this SKU" in response.content.decode()
        )


def test_a_group_name_taken_twice_is_a_400_not_a_500(client_as, cast):
    with medspa_scope(cast.medspa_a):
        client = client_as("admin_a")
        assert (
            client.post(
                "/api/v1/service-groups/", {"name": "Skin"}, content_type="application/json"
            ).status_code
            == 201
        )
        response = client.post("/api/v1/service-groups/", {"name": "Skin"}, content_type="application/json")
        assert response.status_code == 400
        assert ServiceGroup.objects.filter(medspa=cast.medspa_a).count() == 1


def test_library_rows_and_other_medspas_rows_stay_apart_in_code_queries(cast):
    """Relations reach Portrait's texts (an unscoped default manager), but `objects` stays confined."""
    from django_scopes import scope

    catalog_texts.text_create(
        model=Consent, medspa=cast.medspa_b, title="Theirs", by=None, text="Their consent text."
    )
    catalog.group_save(medspa=cast.medspa_b, data={"name": "Theirs"})
    with scope(medspa=[cast.medspa_a.pk]):
        assert not Consent.objects.exists()
        assert not ServiceGroup.objects.exists()
    with scope(), pytest.raises(Exception, match="scope"):
        list(Consent.objects.all())
