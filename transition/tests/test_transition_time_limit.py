"""A step that reaches the soft time limit of its Celery task (CELERY_TASK_SOFT_TIME_LIMIT; the worker raises
SoftTimeLimitExceeded in the task's body) keeps what it did and is due again at once: the next run goes on
where it stopped and does nothing twice. A step that reaches it again and again fails, for staff to see."""

from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from tests import factories
from transition import tasks
from transition.models import AcuityBooking
from transition.models.records import ImportStatus
from transition.models.transitions import StepKind, StepStatus
from transition.services import acuity_import as transition_acuity_import
from transition.services import runner as transition_runner
from transition.tests.test_transition import acuity_row, at, effective, schedule, steps, sweep


def test_an_import_stopped_at_the_time_limit_keeps_what_it_placed_and_goes_on_where_it_stopped(
    cast, legacy, configured, monkeypatch
):
    with medspa_scope(cast.medspa_a):
        medspa, stub = legacy["medspa"], configured
        day = effective(medspa, 0)
        factories.PatientFactory(medspa=medspa, first_name="Jo", last_name="Patient", email="jo@example.com")
        for offset, acuity_id in enumerate((7101, 7102)):
            stub.state.appointments.append(
                acuity_row(acuity_id, at(medspa, day + timedelta(days=3 + offset), 10))
            )
        transition = schedule(cast, medspa, day, keeps=True)
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        import_one, placed = transition_acuity_import._import_one, []

        def time_limit_after_the_first(transition, appointment, matcher):
            if placed:
                raise SoftTimeLimitExceeded()  # as the worker raises it in the task's body, at the soft limit
            placed.append(appointment.id)
            return import_one(transition, appointment, matcher)

        monkeypatch.setattr(transition_acuity_import, "_import_one", time_limit_after_the_first)
        tasks.step_run.delay(step.pk, medspa.pk)

        step.refresh_from_db()
        assert (step.status, step.attempts, step.lease_until) == (StepStatus.PENDING, 1, None)
        assert step.detail == (
            f"Attempt 1 of {transition_runner.MAX_ATTEMPTS} reached the time limit of a background task; it "
            "goes on where it stopped within a minute."
        )
        assert list(AcuityBooking.objects.values_list("acuity_id", "status")) == [
            (7101, ImportStatus.IMPORTED)
        ]
        assert step.pk in dict(transition_runner.steps_due())  # the next sweep, within a minute

        monkeypatch.setattr(transition_acuity_import, "_import_one", import_one)
        sweep()
        step.refresh_from_db()
        assert (step.status, step.attempts) == (StepStatus.DONE, 2)
        assert step.detail == "2 future Acuity appointments imported into the EHR calendar."
        assert Appointment.objects.filter(patient__email="jo@example.com").count() == 2  # the first once


def test_a_step_that_reaches_the_time_limit_on_every_attempt_fails(cast, legacy, configured, monkeypatch):
    with medspa_scope(cast.medspa_a):
        medspa = legacy["medspa"]
        transition = schedule(cast, medspa, effective(medspa, 0), keeps=True)
        step = steps(transition)[StepKind.ACUITY_IMPORT]
        step.attempts = transition_runner.MAX_ATTEMPTS - 1
        step.save(update_fields=["attempts"])

        def too_long(step):
            raise SoftTimeLimitExceeded()

        monkeypatch.setitem(transition_runner.RUNNERS, StepKind.ACUITY_IMPORT, too_long)
        tasks.step_run.delay(step.pk, medspa.pk)
        step.refresh_from_db()
        assert (step.status, step.attempts) == (StepStatus.FAILED, transition_runner.MAX_ATTEMPTS)
        assert "reached the time limit of a background task 5 times" in step.detail
