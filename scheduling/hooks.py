"""What happens after an appointment changes (after the transaction commits). Notifications are queued
here; later features (GFE requests for bookings that need clearance) hook in at this one place."""

from scheduling.models import Appointment


def appointment_changed(appointment: Appointment, kind: str) -> None:
    """kind: confirmation, reschedule, cancellation or no-show."""
    from scheduling.tasks import appointment_notify

    appointment_notify.delay(appointment.pk, appointment.medspa_id, kind)
