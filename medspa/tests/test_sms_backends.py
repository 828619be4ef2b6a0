"""The development SMS backends: each returns an id shaped like Twilio's, and the file backend keeps every
text as a JSON line; the sender is the medspa's own number, else the development fallback, else none."""

import json

import pytest

from medspa.messaging import sms


def test_the_file_backend_appends_one_json_line_per_text(settings, tmp_path):
    settings.SMS_BACKEND = "medspa.messaging.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "texts" / "sms.jsonl")
    first = sms.get_sms_backend().send("+16195550123", "hello", sender="+16195550100")
    second = sms.get_sms_backend().send("+16195550124", "again", sender="+16195550100")
    lines = [json.loads(line) for line in (tmp_path / "texts" / "sms.jsonl").read_text().splitlines()]
    assert lines == [
        {"sid": first, "to": "+16195550123", "from": "+16195550100", "body": "hello"},
        {"sid": second, "to": "+16195550124", "from": "+16195550100", "body": "again"},
    ]
    assert first.startswith("SM") and len(first) == 34 and first != second


def test_the_console_backend_logs_the_text(settings, caplog):
    settings.SMS_BACKEND = "medspa.messaging.sms.ConsoleSmsBackend"
    with caplog.at_level("INFO", logger="medspa.messaging.sms"):
        sid = sms.get_sms_backend().send("+16195550123", "hello", sender="+16195550100")
    assert sid.startswith("SM") and "SMS to +16195550123 from +16195550100" in caplog.text


def test_the_sender_is_the_medspas_number_else_the_fallback_else_an_error(cast, settings):
    medspa = cast.medspa_a
    settings.SMS_FROM = "+16195550100"
    assert sms.medspa_sender(medspa) == "+16195550100"
    medspa.sms_number = "+16195550177"
    assert sms.medspa_sender(medspa) == "+16195550177"
    medspa.sms_number = ""
    settings.SMS_FROM = ""
    with pytest.raises(sms.SmsError, match="has no texting number") as missing:
        sms.medspa_sender(medspa)
    assert missing.value.permanent


def test_the_twilio_backend_needs_the_account(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "", ""
    settings.SMS_BACKEND = "medspa.messaging.sms.TwilioSmsBackend"
    with pytest.raises(sms.SmsError, match="TWILIO_ACCOUNT_SID"):
        sms.get_sms_backend()
