from django.core.management import call_command

from medspa import demo
from medspa.models import Medspa, Membership, Patient, User
from scheduling.models import Location
from tests.factories import has_totp


def counts():
    return (
        Medspa.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Patient.objects.count(),
        Location.objects.count(),
    )


def test_the_demo_world_is_what_the_readme_promises_and_loads_twice_the_same(db):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    launch = Medspa.objects.get(slug="glow-aesthetics")
    assert launch.business_model == "launch"
    assert Medspa.objects.get(slug="luxe-skin-bar").business_model == "flex"
    assert launch.patients.count() == 30
    assert launch.locations.count() == 2
    owner = Membership.objects.get(medspa=launch, user__email=demo.LAUNCH_PEOPLE[0].email)
    assert owner.is_admin and owner.is_provider
    assert Membership.objects.filter(medspa=launch, is_provider=True, is_admin=False).count() == 2
    staff = User.objects.get(email=demo.STAFF.email)
    assert staff.is_staff
    assert all(has_totp(user) for user in User.objects.all())
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in User.objects.all())


def test_the_demo_code_command_prints_a_code_the_demo_secret_accepts(db, capsys):
    from allauth.mfa.totp.internal.auth import validate_totp_code

    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and validate_totp_code(demo.DEMO_TOTP_SECRET, code)
