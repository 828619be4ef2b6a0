"""The one way for the apps built on the core to plug into it (and into any app below them): a registry that
the lower app owns and reads, and that the higher apps fill from their AppConfig.ready. The lower app never
imports the higher ones; it reads what they registered, in order.

The registries: onboarding steps (medspa.services.onboarding.STEPS), the sections of a patient's profile,
of Account settings, of the admin's To-Do and of the admin's Today (medspa.views.panels.PATIENT,
ACCOUNT_SETTINGS, ADMIN_TODO, ADMIN_TODAY), what makes a patient a provider's own
(medspa.selectors.patients.PROVIDER_PATIENT_LINKS), what follows a change of a medspa's plan
(medspa.plan_changes.PLAN_FOLLOWERS), the texts owed to patients that a STOP skips
(medspa.messaging.opt_out.TEXTS_OWED), a patient's booked services for GFE
(gfe.services.clearances.BOOKED_SERVICES), a patient's answered intake forms for the GFE review
(gfe.selectors.intake.INTAKE_ANSWERS), the kinds of result of the top bar's search (medspa.search.SEARCH),
and the actions the Provider dashboard adds to an appointment on
scheduling's calendar pages (scheduling.selectors.calendar.APPOINTMENT_ACTIONS)."""

from collections.abc import Callable, Iterator


class Registry[T]:
    """Entries registered by the apps above, read in `order` (then in the order they were registered)."""

    def __init__(self, name: str, *, order: Callable[[T], int] | None = None) -> None:
        self.name = name
        self._order = order
        self._entries: list[T] = []

    def register(self, entry: T) -> T:
        """Adds `entry`; returns it, so that a function can be registered with `@REGISTRY.register`."""
        self._entries.append(entry)
        if self._order is not None:
            self._entries.sort(key=self._order)
        return entry

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._entries)} entries>"
