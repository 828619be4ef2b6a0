"""The keywords a texter uses to stop, restart or ask about a medspa's texts, and the rule that nobody who
texted STOP gets another text.

CTIA's Messaging Principles and Best Practices (which US carriers enforce) require every program to honour
an opt-out keyword at once and to answer HELP with who is texting and how to stop. The keywords are the ones
Twilio itself recognises on long codes (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out,
"Twilio support for opt-out keywords"): a message that is exactly one of them, ignoring case and
surrounding spaces and punctuation, is the keyword; "stop by at 3?" is an ordinary message.

- opt-out: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
- opt-in again: START, YES, UNSTOP
- help: HELP, INFO

When Advanced Opt-Out is on for the Messaging Service, Twilio adds `OptOutType` (STOP, START or HELP) to
the incoming-message webhook; it is believed when present."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from medspa.models.messages import MessageLog
from medspa.once import Outbox
from medspa.registry import Registry

STOP, START, HELP = "STOP", "START", "HELP"
KEYWORDS = {
    **dict.fromkeys(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"], STOP),
    **dict.fromkeys(["START", "YES", "UNSTOP"], START),
    **dict.fromkeys(["HELP", "INFO"], HELP),
}
OPTED_OUT = "patient opted out (texted STOP)"


def keyword_of(body: str, opt_out_type: str = "") -> str:
    """STOP, START or HELP when the text is that keyword (or Twilio says it was), else ""."""
    if opt_out_type.strip().upper() in (STOP, START, HELP):
        return opt_out_type.strip().upper()
    word = re.sub(r"[^A-Za-z]", "", body or "").upper()
    return KEYWORDS.get(word, "") if len(word) <= 12 and (body or "").strip().count(" ") == 0 else ""


def help_text(medspa_name: str) -> str:
    """The answer to HELP: who is texting, how to reach them otherwise, how to stop (CTIA)."""
    return (
        f"{medspa_name}: texts about your appointments and care. Reply to reach our team; "
        "msg & data rates may apply. Reply STOP to opt out."
    )


def start_text(medspa_name: str) -> str:
    return f"{medspa_name}: you will receive our texts again. Reply HELP for help, STOP to opt out."


def patient_sms_refusal(patient) -> str:
    """Why no text may go to `patient`, or "": their STOP by text, then their recorded consent. Every path
    that texts a patient (notifications, care messages, the inbox's replies) asks this first."""
    if patient.sms_opted_out_at is not None:
        return OPTED_OUT
    if not patient.consent_sms:
        return "patient opted out of SMS"
    return ""


@dataclass(frozen=True)
class TextsOwed:
    """An app's log of messages to patients (a MessageLog) and its Outbox: `rows` gives the rows of the given
    patients."""

    rows: Callable[[list[int]], QuerySet]
    outbox: Outbox


# The apps that text patients register their logs here (AppConfig.ready), so that a STOP also skips the
# texts already owed to the patient: decided before the STOP, or failed and waiting for their retry.
TEXTS_OWED: Registry[TextsOwed] = Registry("texts owed to patients")


def owed_texts_skip(patient_ids: list[int]) -> int:
    """Marks every text still owed to these patients skipped, with OPTED_OUT; returns how many. A row being
    sent right now is locked (medspa.once): the update waits for it, and leaves it if it was sent."""
    skipped = 0
    for log in TEXTS_OWED:
        skipped += (
            log.outbox.owing(log.rows(patient_ids))
            .filter(channel="sms")
            .update(status=MessageLog.Status.SKIPPED, detail=OPTED_OUT, next_attempt_at=None)
        )
    return skipped
