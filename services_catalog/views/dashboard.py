"""The Services / Products tab of the admin dashboard: the Portrait library to import from, the medspa's
services and groups, consents, care messages and standing orders with their versions, retail products."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import ascii_int, form_status, search_query
from medspa.selectors import masquerade
from services_catalog.forms.dashboard import (
    CustomServiceForm,
    ImportedServiceForm,
    RetailProductForm,
    ServiceGroupForm,
    TextForm,
)
from services_catalog.models import (
    CareMessage,
    Consent,
    LibraryService,
    RetailProduct,
    ServiceGroup,
    StandingOrder,
)
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services import catalog, errors
from services_catalog.services import texts as catalog_texts

TEXT_KINDS = {
    "consents": (Consent, "Consents", "consent"),
    "care-messages": (CareMessage, "Care messages", "care message"),
    "standing-orders": (StandingOrder, "Standing orders", "standing order"),
}


@dashboard_area(dashboards.ADMIN)
def home(request):
    """The medspa's services by group, imported and custom, with their state."""
    services = sorted(
        catalog_selectors.services_of(request.medspa), key=lambda s: (s.effective_group.name, s.display_name)
    )
    groups: dict[str, list] = {}
    for service in services:
        groups.setdefault(service.effective_group.name, []).append(service)
    context = {
        "groups": groups,
        "custom_groups": ServiceGroup.objects.filter(medspa=request.medspa),
        "product_count": RetailProduct.objects.count(),
    }
    return render(request, "services_catalog/home.html", context)


@dashboard_area(dashboards.ADMIN)
def library(request):
    query = search_query(request)
    groups = catalog_selectors.library_groups(request.medspa, query=query)
    return render(request, "services_catalog/library.html", {"groups": groups, "query": query})


@require_POST
@dashboard_area(dashboards.ADMIN)
def library_import(request, pk: int):
    library_service = get_object_or_404(LibraryService, pk=pk, is_published=True)
    with refusals(request) as refused:
        service = catalog.service_import(medspa=request.medspa, library_service=library_service)
    if refused:
        return redirect("services_catalog:library")
    messages.success(
        request, f"{library_service.name} was added to your services. Set your price, then activate it."
    )
    return redirect("services_catalog:service_edit", pk=service.pk)


@dashboard_area(dashboards.ADMIN)
def service_create(request):
    initial = {}
    group_id = ascii_int(request.GET.get("group", ""))
    if group_id is not None:
        group = ServiceGroup.objects.filter(pk=group_id).first()
        if group is not None:
            initial = {"group": group, "consents": list(group.default_consents.all())}
    form = CustomServiceForm(request.POST or None, medspa=request.medspa, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals(form=form):
            service = catalog.service_create(medspa=request.medspa, data=form.cleaned_data)
            messages.success(request, f"{service.display_name} was created.")
            return redirect("services_catalog:home")
    if not ServiceGroup.objects.exists():
        messages.info(request, "Create a service group first: every custom service belongs to one.")
        return redirect("services_catalog:group_create")
    return render(request, "services_catalog/service_form.html", {"form": form}, status=form_status(request))


@dashboard_area(dashboards.ADMIN)
def service_edit(request, pk: int):
    """An imported service offers its price and active flag; a custom one, everything."""
    service = get_object_or_404(catalog_selectors.services_of(request.medspa), pk=pk)
    if service.is_imported:
        form = ImportedServiceForm(request.POST or None, instance=service)
    else:
        form = CustomServiceForm(request.POST or None, instance=service, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        with refusals(form=form):
            catalog.service_update(service=service, data=form.cleaned_data)
            messages.success(request, f"{service.display_name} was saved.")
            return redirect("services_catalog:home")
    signed = catalog_selectors.standing_order_is_signed(request.medspa, service.effective_standing_order)
    context = {"form": form, "service": service, "standing_order_signed": signed}
    return render(request, "services_catalog/service_form.html", context, status=form_status(request))


@require_POST
@dashboard_area(dashboards.ADMIN)
def service_activate(request, pk: int):
    service = get_object_or_404(catalog_selectors.services_of(request.medspa), pk=pk)
    active = request.POST.get("active") == "1"
    catalog.service_set_active(service=service, active=active)
    messages.success(request, f"{service.display_name} is now {'active' if active else 'inactive'}.")
    return redirect("services_catalog:home")


@dashboard_area(dashboards.ADMIN)
def group_create(request):
    return _group_form(request, None)


@dashboard_area(dashboards.ADMIN)
def group_edit(request, pk: int):
    return _group_form(request, get_object_or_404(ServiceGroup.objects, pk=pk))


def _group_form(request, group):
    form = ServiceGroupForm(request.POST or None, instance=group, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        saved = catalog.group_save(medspa=request.medspa, data=form.cleaned_data, group=group)
        messages.success(request, f"The group {saved.name} was saved.")
        if group is None:  # a new group: go on to its first service, with the group's consents ticked
            return redirect(f"{reverse('services_catalog:service_create')}?group={saved.pk}")
        return redirect("services_catalog:home")
    context = {
        "form": form,
        "group": group,
        "consent_form": TextForm(model=Consent, medspa=request.medspa, auto_id="consent_%s"),
        "care_message_form": TextForm(model=CareMessage, medspa=request.medspa, auto_id="care_message_%s"),
    }
    return render(request, "services_catalog/group_form.html", context, status=form_status(request))


def _kind(kind: str):
    if kind not in TEXT_KINDS:
        raise Http404
    return TEXT_KINDS[kind]


@dashboard_area(dashboards.ADMIN)
def text_list(request, kind: str):
    model, title, noun = _kind(kind)
    texts = catalog_selectors.texts_for(model, request.medspa).order_by("-medspa", "title")
    context = {
        "texts": texts,
        "kind": kind,
        "title": title,
        "noun": noun,
        "signoffs": catalog_selectors.standing_order_signoffs(request.medspa)
        if model is StandingOrder
        else {},
    }
    return render(request, "services_catalog/text_list.html", context)


@dashboard_area(dashboards.ADMIN)
def text_create(request, kind: str):
    """A new consent, care message or standing order. From the group form's consents drop-down (htmx) the
    answer is the refreshed list of choices with the new one ticked."""
    model, title, noun = _kind(kind)
    form = TextForm(request.POST or None, model=model, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        document = catalog_texts.text_create(model=model, medspa=request.medspa, by=request.user, **data)
        if request.htmx:
            field = "default_consents" if model is Consent else None
            choices = catalog_selectors.texts_for(model, request.medspa).order_by("medspa", "title")
            selected = [*request.POST.getlist("default_consents"), str(document.pk)]
            context = {
                "choices": choices,
                "field": field,
                "selected_list": selected,
                "noun": noun,
                "created": True,
            }
            return render(request, "services_catalog/_text_choices.html", context)
        messages.success(request, f"The {noun} “{document.title}” was created.")
        return redirect("services_catalog:text_detail", kind=kind, pk=document.pk)
    context = {"form": form, "kind": kind, "title": title, "noun": noun}
    if request.htmx:  # the errors go back into the small form, not over the list of choices
        response = render(request, "services_catalog/_text_form.html", context)
        return reswap(retarget(response, "#new-consent form"), "outerHTML")
    return render(request, "services_catalog/text_form.html", context, status=form_status(request))


@dashboard_area(dashboards.ADMIN)
def text_detail(request, kind: str, pk: int):
    """The current text, its version history, and (for the medspa's own) the edit that adds a version."""
    model, title, noun = _kind(kind)
    document = get_object_or_404(catalog_selectors.texts_for(model, request.medspa), pk=pk)
    form = None
    if not document.is_library:
        initial = {"title": document.title, "text": document.current_version.text}
        if model is CareMessage:
            initial.update(timing=document.timing, lead_hours=document.lead_hours)
        form = TextForm(
            request.POST or None, model=model, medspa=request.medspa, instance=document, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            version = catalog_texts.text_revise(
                document=document,
                text=form.cleaned_data["text"],
                by=request.user,
                title=form.cleaned_data["title"],
            )
            if model is CareMessage:
                catalog_texts.care_message_timing_set(
                    care_message=document,
                    timing=form.cleaned_data["timing"],
                    lead_hours=form.cleaned_data["lead_hours"],
                )
            messages.success(
                request, f"Saved as version {version.number}. Earlier versions are kept unchanged."
            )
            return redirect("services_catalog:text_detail", kind=kind, pk=document.pk)
    elif request.method == "POST":
        messages.error(request, "This text is Portrait's: create your own to change it.")
        return redirect("services_catalog:text_detail", kind=kind, pk=document.pk)
    versions = list(document.versions.select_related("created_by").order_by("-number"))
    shown = versions[0]
    number = ascii_int(request.GET.get("version", ""))
    if number is not None:
        shown = next((v for v in versions if v.number == number), shown)
    signoffs = catalog_selectors.standing_order_signoffs(request.medspa) if model is StandingOrder else {}
    context = {
        "document": document,
        "versions": versions,
        "shown": shown,
        "form": form,
        "kind": kind,
        "title": title,
        "noun": noun,
        "signoff": signoffs.get(versions[0].pk),
        "is_medical_director": request.medspa.medical_director_id == request.membership.pk,
        "signoff_refusal": masquerade.signature_personal_refusal(errors.SIGNOFF_NOT_PERSONAL),
    }
    return render(request, "services_catalog/text_detail.html", context, status=form_status(request))


@require_POST
@dashboard_area(dashboards.ADMIN)
def standing_order_sign(request, pk: int):
    standing_order = get_object_or_404(catalog_selectors.standing_orders_for(request.medspa), pk=pk)
    with refusals(request):
        catalog_texts.standing_order_sign(
            medspa=request.medspa, version=standing_order.current_version, membership=request.membership
        )
        messages.success(
            request, f"You signed “{standing_order.title}”, version {standing_order.current_version.number}."
        )
    return redirect("services_catalog:text_detail", kind="standing-orders", pk=standing_order.pk)


@dashboard_area(dashboards.ADMIN)
def product_list(request):
    return render(request, "services_catalog/product_list.html", {"products": RetailProduct.objects.all()})


@dashboard_area(dashboards.ADMIN)
def product_create(request):
    return _product_form(request, None)


@dashboard_area(dashboards.ADMIN)
def product_edit(request, pk: int):
    return _product_form(request, get_object_or_404(RetailProduct, pk=pk))


def _product_form(request, product):
    form = RetailProductForm(request.POST or None, instance=product, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        saved = catalog.product_save(medspa=request.medspa, data=form.cleaned_data, product=product)
        messages.success(request, f"{saved.name} was saved.")
        return redirect("services_catalog:product_list")
    return render(
        request,
        "services_catalog/product_form.html",
        {"form": form, "product": product},
        status=form_status(request),
    )
