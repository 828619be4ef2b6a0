"""Reads of transitions: the medspa's current one, and the medspas Portrait staff may start one for."""

from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel
from transition.models import Transition
from transition.models.transitions import OPEN_STATUSES


def _without_open_transition(medspas):
    return medspas.exclude(transitions__status__in=OPEN_STATUSES).order_by("name")


def transition_current(medspa) -> Transition | None:
    """The medspa's open transition, or else its latest one."""
    transitions = Transition.objects.filter(medspa=medspa).select_related(
        "medspa", "requested_by", "decided_by", "openphone_account_by"
    )
    return transitions.filter(status__in=OPEN_STATUSES).first() or transitions.first()


def medspas_that_may_transition():
    """Legacy medspas without a transition under way (call with scopes disabled)."""
    return _without_open_transition(Medspa.objects.filter(business_model=BusinessModel.LEGACY))


def medspas_that_may_let_the_coordinator_go():
    """Launch and Flex medspas that keep a coordinator, without a transition under way (call with scopes
    disabled)."""
    return _without_open_transition(
        Medspa.objects.exclude(business_model=BusinessModel.LEGACY).filter(keeps_coordinator=True)
    )
