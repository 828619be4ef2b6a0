"""The core of the demo world: a Launch medspa with an owner-injector, two more providers, thirty patients;
a Flex medspa; a Portrait staff user; the password and authenticator secret every demo user shares.
Idempotent. The apps' own demo data (locations, services, appointments, clearances) is seeded on top of it
by the other modules of devtools.demo."""

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from medspa.models import Medspa, Membership, Patient, ProviderLicence, ProviderProfile, User
from medspa.models.tenancy import BusinessModel, Credential

# Every demo user signs in with this password and this authenticator secret (add it to any TOTP app, or
# run `manage.py demo_totp` for the current code). Demo data only: never on a real deployment.
DEMO_PASSWORD = "portrait-demo-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str
    credential: str = ""
    position: str = ""
    can_clear: bool = False


LAUNCH_PEOPLE = [
    DemoUser(
        "maya.chen@glowaesthetics.example",
        "Dr. Maya Chen",
        "admin+provider",
        Credential.MD,
        "Medical director & owner",
        True,
    ),
    DemoUser(
        "jordan.rivera@glowaesthetics.example",
        "Jordan Rivera",
        "provider",
        Credential.NP,
        "Nurse practitioner",
        True,
    ),
    DemoUser(
        "priya.patel@glowaesthetics.example", "Priya Patel", "provider", Credential.RN, "Aesthetic nurse"
    ),
]
FLEX_PEOPLE = [
    DemoUser(
        "sam.okafor@luxeskinbar.example",
        "Sam Okafor",
        "admin+provider",
        Credential.NP,
        "Owner & nurse practitioner",
        True,
    ),
]
STAFF = DemoUser("ops@portrait.example", "Portrait Operations", "staff")

FIRST_NAMES = [
    "Olivia",
    "Emma",
    "Ava",
    "Sophia",
    "Isabella",
    "Mia",
    "Amelia",
    "Harper",
    "Evelyn",
    "Abigail",
    "Emily",
    "Ella",
    "Madison",
    "Scarlett",
    "Victoria",
    "Grace",
    "Chloe",
    "Camila",
    "Penelope",
    "Riley",
    "Layla",
    "Lillian",
    "Nora",
    "Zoey",
    "Hannah",
    "Liam",
    "Noah",
    "Ethan",
    "Lucas",
    "Mason",
]
LAST_NAMES = [
    "Nguyen",
    "Garcia",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
]
ALLERGIES = ["", "", "", "Penicillin", "Lidocaine (mild rash)", "Latex", "Sulfa drugs", "Eggs", ""]
MEDICATIONS = [
    "",
    "",
    "Oral contraceptive",
    "Levothyroxine 50 mcg",
    "Sertraline 50 mg",
    "Lisinopril 10 mg",
    "Tretinoin 0.025% cream",
    "",
    "Ibuprofen as needed",
]
HISTORIES = [
    "",
    "No significant history.",
    "Cold sores (HSV-1), prophylaxis before lip treatments.",
    "Previous neurotoxin 2024 with good results.",
    "Keloid scarring on chest.",
    "Hypothyroidism, controlled.",
    "Seasonal allergies.",
    "Filler to lips 2023, no complications.",
]
STREETS = ["Oak", "Palm", "Coast", "Mission", "Laurel", "Juniper"]
CITIES = [("San Diego", "92103"), ("La Jolla", "92037"), ("Del Mar", "92014"), ("Encinitas", "92024")]


def _user(person: DemoUser, *, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=person.email, defaults={"full_name": person.full_name, "is_staff": staff, "is_superuser": staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user


def _member(medspa: Medspa, person: DemoUser) -> Membership:
    user = _user(person)
    membership, _ = Membership.objects.get_or_create(
        medspa=medspa,
        user=user,
        defaults={"is_admin": "admin" in person.role, "is_provider": "provider" in person.role},
    )
    if membership.is_provider:
        profile, created = ProviderProfile.objects.get_or_create(
            membership=membership,
            defaults={
                "medspa": medspa,
                "credential": person.credential,
                "position": person.position,
                "can_clear_gfe": person.can_clear,
            },
        )
        if created:
            ProviderLicence.objects.create(
                medspa=medspa,
                profile=profile,
                state="CA",
                number=f"{person.credential}{membership.pk:06d}",
                expires_on=date.today() + timedelta(days=540),
            )
    return membership


def _patients(medspa: Medspa, count: int) -> None:
    rng = random.Random(f"{medspa.slug}-patients")
    for index in range(count):
        first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 7) % len(LAST_NAMES)]
        city, postal_code = rng.choice(CITIES)
        Patient.objects.get_or_create(
            medspa=medspa,
            first_name=first,
            last_name=last,
            defaults={
                "date_of_birth": date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 38)),
                "email": f"{first}.{last}{index}@mail.example".lower(),
                "phone": f"+1619555{1000 + index:04d}",
                "address_line1": f"{rng.randint(100, 9999)} {rng.choice(STREETS)} St",
                "city": city,
                "state": "CA",
                "postal_code": postal_code,
                "allergies": rng.choice(ALLERGIES),
                "medications": rng.choice(MEDICATIONS),
                "medical_history": rng.choice(HISTORIES),
                "consent_email": rng.random() < 0.85,
                "consent_sms": rng.random() < 0.7,
                "status": "to_clear" if index % 6 == 0 else "active",
            },
        )


def medspas_seed() -> dict[str, Medspa]:
    """The two demo medspas with their people and patients, by what they are: {"launch": …, "flex": …}."""
    launch, _ = Medspa.objects.get_or_create(
        slug="glow-aesthetics",
        defaults={
            "name": "Glow Aesthetics Studio",
            "time_zone": "America/Los_Angeles",
            "business_model": BusinessModel.LAUNCH,
            "dba": "Glow Med Spa",
            "sms_number": "+16195550140",  # each medspa texts from its own number (docs/texting.md)
            "addon_charting": True,
            "shipping_line1": "2150 Fifth Ave, Suite 200",
            "shipping_city": "San Diego",
            "shipping_state": "CA",
            "shipping_postal_code": "92101",
        },
    )
    flex, _ = Medspa.objects.get_or_create(
        slug="luxe-skin-bar",
        defaults={
            "name": "Luxe Skin Bar",
            "time_zone": "America/Chicago",
            "business_model": BusinessModel.FLEX,
            "flex_revenue_split_percent": Decimal("20.00"),
            "sms_number": "+13125550140",
            "shipping_line1": "410 N Michigan Ave",
            "shipping_city": "Chicago",
            "shipping_state": "IL",
            "shipping_postal_code": "60611",
        },
    )
    launch_members = [_member(launch, person) for person in LAUNCH_PEOPLE]
    for person in FLEX_PEOPLE:
        _member(flex, person)
    _user(STAFF, staff=True)
    _patients(launch, 30)
    _patients(flex, 8)
    providers = [m for m in launch_members if m.is_provider]
    for index, patient in enumerate(Patient.objects.filter(medspa=launch).order_by("pk")):
        if not patient.assigned_providers.exists():
            patient.assigned_providers.add(providers[index % len(providers)])
    if launch.medical_director_id is None:
        launch.medical_director = launch_members[0]  # Dr. Maya Chen, MD, the owner
        launch.save(update_fields=["medical_director"])
    return {"launch": launch, "flex": flex}


def current_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The code an authenticator app shows right now for `secret`."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
