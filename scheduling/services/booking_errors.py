"""The errors of booking (scheduling.services.booking, which its callers import them from): a message for
the person who asked, and the status the API answers with."""

from medspa.errors import DomainError


class BookingError(DomainError):
    """A booking request that cannot be met; the message says why, for the person who asked."""

    def api_data(self) -> dict:
        # The Scheduling API has answered a refused booking as DRF answers its own errors from the start:
        # its clients read `detail` as a string.
        return {"detail": self.message}


class BookingInvalid(BookingError):
    """The request itself is wrong: in the past, outside hours, beyond the horizon, …"""


class SlotUnavailable(BookingError):
    """The time was free when shown but has been taken meanwhile: a conflict (409) for the API."""

    status_code = 409

    def __init__(self, message: str = "That time is no longer available: please choose another."):
        super().__init__(message)
