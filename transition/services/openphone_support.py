"""The OpenPhone transfer as OpenPhone offers it: a request to its support, on the written confirmation of
both parties. Once Portrait and the provider have confirmed, the product writes the email to OpenPhone
support (the number, Portrait's workspace and the provider's, both confirmations attached) and sends it from
Portrait's support address; the step then asks OpenPhone's API (GET /v1/phone-numbers/{id}) until the number
has left Portrait's workspace."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid

from transition.models import ReleaseConfirmation, Transition
from transition.models.records import ConfirmationParty


def _attachment(confirmation: ReleaseConfirmation) -> tuple[str, str, str]:
    party = ConfirmationParty(confirmation.party).label
    text = (
        f"Written confirmation of {party}\n\n"
        f"{confirmation.text}\n\n"
        f"Confirmed by: {confirmation.name} <{confirmation.email}>\n"
        f"Confirmed at: {confirmation.confirmed_at.isoformat()}\n"
        f"New OpenPhone account: {confirmation.target_email}\n"
    )
    return f"confirmation-{confirmation.party}.txt", text, "text/plain"


def support_request(
    transition: Transition, *, number: str, number_id: str, parties: dict[str, ReleaseConfirmation]
) -> EmailMessage:
    """The email to OpenPhone support asking for the number to move, with both confirmations attached."""
    target = transition.openphone_target_email
    workspace = transition.openphone_target_workspace or f"the workspace of {target}"
    body = (
        "Hello OpenPhone support,\n\n"
        f"Please transfer the phone number {number} (phone number id {number_id}) from the workspace "
        f"“{settings.OPENPHONE_WORKSPACE}” to {workspace} (owner's account: {target}).\n\n"
        f"The number belongs to {transition.medspa.display_name}, a medical spa that is leaving Portrait's "
        "coordinator service. Both parties have confirmed the transfer in writing: Portrait (the current "
        "workspace's owner) and the provider (the new workspace's owner). Both confirmations are "
        "attached.\n\n"
        "Please reply to this address once the number has moved.\n\nThank you,\nPortrait support\n"
    )
    message = EmailMessage(
        subject=f"Number transfer request: {number} to {target}",
        body=body,
        from_email=settings.PORTRAIT_SUPPORT_EMAIL,
        to=[settings.OPENPHONE_SUPPORT_EMAIL],
        cc=[target],
        reply_to=[settings.PORTRAIT_SUPPORT_EMAIL],
        headers={"Message-ID": make_msgid(idstring=f"transition-{transition.pk}-openphone")},
    )
    for party in (ConfirmationParty.PORTRAIT, ConfirmationParty.PROVIDER):
        message.attach(*_attachment(parties[party]))
    return message
