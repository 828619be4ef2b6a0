from scheduling.models.appointments import ACTIVE_STATUSES, Appointment, AppointmentStatus, CalendarFeed
from scheduling.models.availability import AvailabilityOverride, AvailabilityRule, Closure
from scheduling.models.locations import Location, Resource
from scheduling.models.notifications import NotificationLog, NotificationSettings
from scheduling.models.paperwork import HistoryChange, IntakeResponse
from scheduling.models.types import AppointmentType

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "AppointmentType",
    "AvailabilityOverride",
    "AvailabilityRule",
    "CalendarFeed",
    "Closure",
    "HistoryChange",
    "IntakeResponse",
    "Location",
    "NotificationLog",
    "NotificationSettings",
    "Resource",
]
