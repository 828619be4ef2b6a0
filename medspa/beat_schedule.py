"""Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE; docs/operations.md lists it with its times).

Hourly and daily jobs run at fixed UTC times (crontab), spread over the hour and the day, so that a deploy,
which restarts beat, neither moves them nor runs them early: an interval would count again from each start.
The sweeps every few minutes stay intervals: each asks "what is due now" and is safe to run at any moment or
to skip once, so a restart only shifts them by less than their period (tests/test_celery_settings.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Hourly, at minutes of their own.
    "sessions-clear-expired": {"task": "medspa.tasks.sessions_clear_expired", "schedule": crontab(minute=7)},
    "patient-imports-purge": {"task": "medspa.tasks.patient_imports_purge", "schedule": crontab(minute=17)},
    "appointment-reminders-sweep": {"task": "scheduling.tasks.reminders_sweep", "schedule": 300.0},
    # Before the visit: the paperwork reminder, and the care messages sent a lead time before the start.
    "paperwork-reminders-sweep": {"task": "scheduling.tasks.paperwork_reminders_sweep", "schedule": 300.0},
    "pre-visit-care-sweep": {"task": "scheduling.tasks.pre_visit_care_sweep", "schedule": 300.0},
    # Messages owed past their lease (a worker killed mid-send) or due for a retry: one task each.
    "notifications-sweep": {"task": "scheduling.tasks.notifications_sweep", "schedule": 60.0},
    "sale-receipts-sweep": {"task": "providers.tasks.sale_receipts_sweep", "schedule": 60.0},
    "care-messages-sweep": {"task": "providers.tasks.care_messages_sweep", "schedule": 60.0},
    "order-emails-sweep": {"task": "inventory_orders.tasks.order_emails_sweep", "schedule": 60.0},
    "invitation-emails-sweep": {"task": "medspa.tasks.invitation_emails_sweep", "schedule": 60.0},
    "gfe-emails-sweep": {"task": "gfe.tasks.gfe_emails_sweep", "schedule": 60.0},
    "confirmation-emails-sweep": {"task": "transition.tasks.confirmation_emails_sweep", "schedule": 60.0},
    # Card payments left pending while Stripe was out of reach (asked again, with their own idempotency keys,
    # after medspa.payments.charges.PENDING_RECHECK_AFTER), and Stripe's fees not learned then.
    "pending-payments-resend": {"task": "medspa.tasks.pending_payments_resend", "schedule": 180.0},
    "card-fees-sweep": {"task": "medspa.tasks.card_fees_sweep", "schedule": crontab(minute=37)},
    # Clearances expire once their date is over in their medspa's zone: 10:15 UTC is past midnight in every US
    # time zone (Hawaii's last). The reminders go in the morning of every US time zone (15:30 UTC).
    "gfe-clearances-expire": {
        "task": "gfe.tasks.clearances_expire_nightly",
        "schedule": crontab(minute=15, hour=10),
    },
    "gfe-clearance-expiry-reminders": {
        "task": "gfe.tasks.clearance_expiry_reminders",
        "schedule": crontab(minute=30, hour=15),
    },
    # Transition steps run on their dates (in each medspa's time zone); OpenPhone transfers are polled; a step
    # whose worker stopped is run again once its lease (transition.services.base.STEP_LEASE, minutes) runs
    # out.
    "transition-steps-due": {"task": "transition.tasks.steps_due", "schedule": 60.0},
    # Noon UTC on the 1st is past midnight in every US time zone, so "last month" is over everywhere.
    "bills-monthly": {
        "task": "billing.tasks.bills_monthly",
        "schedule": crontab(minute=0, hour=12, day_of_month=1),
    },
    # Each bill is charged once made (billing.tasks.bills_make); daily, 15:00 UTC (morning in every US time
    # zone), the declined ones are tried again on their day (billing.selectors.payments.RETRY_DAYS) and the
    # bills of medspas that added a card since are charged.
    "bills-charge-due": {"task": "billing.tasks.bills_charge_due", "schedule": crontab(minute=0, hour=15)},
    "bill-receipts-sweep": {"task": "billing.tasks.bill_receipts_sweep", "schedule": 60.0},
    # The encrypted backup of the database (medspa.services.backups): 03:15 UTC, night in every US time zone.
    "database-backup": {"task": "medspa.tasks.database_backup", "schedule": crontab(minute=15, hour=3)},
}
