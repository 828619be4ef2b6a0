from transition.models.records import AcuityBooking, ConfirmationEmail, ReleaseConfirmation, TimelineEntry
from transition.models.transitions import LegacyTools, Transition, TransitionStep

__all__ = [
    "AcuityBooking",
    "ConfirmationEmail",
    "LegacyTools",
    "ReleaseConfirmation",
    "TimelineEntry",
    "Transition",
    "TransitionStep",
]
