"""Session bookkeeping: remember which sessions a user has so that deactivation ends them all at once."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from medspa.middleware import SESSION_STARTED_KEY
from medspa.models import User, UserSession
from medspa.services.accounts import user_sessions_end


@receiver(user_logged_in)
def _session_remember(sender, request, user, **kwargs):
    request.session[SESSION_STARTED_KEY] = time.time()
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.get_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out)
def _session_forget(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(post_save, sender=User)
def _sessions_end_when_deactivated(sender, instance: User, **kwargs):
    if not instance.is_active:
        user_sessions_end(user=instance)
