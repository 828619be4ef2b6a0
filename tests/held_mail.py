"""An email backend for drills that kill a worker mid-send: it writes each message to a log in the folder
HELD_MAIL names ("sending <to>", then "sent <to>"), and in between waits while a file "hold" is there."""

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class HeldEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(os.environ["HELD_MAIL"])
        for message in email_messages:
            to = ",".join(message.to)
            with (folder / "log").open("a") as log:
                log.write(f"sending {to}\n")
            while (folder / "hold").exists():  # a mail server that does not answer
                time.sleep(0.05)
            with (folder / "log").open("a") as log:
                log.write(f"sent {to}\n")
        return len(email_messages)
