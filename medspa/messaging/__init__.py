"""Messaging every app uses: SMS backends (`sms`) and templated emails (`email`)."""
