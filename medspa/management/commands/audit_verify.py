"""Recomputes the hash chains of the patient access log and the masquerade log (medspa.audit_chain): one
line per chain, the first broken row of each; exits non-zero when any chain is broken."""

from django.core.management.base import BaseCommand, CommandError

from medspa.audit_chain import audit_chains_verify


class Command(BaseCommand):
    help = "Verifies the hash chains of the patient access log and the masquerade log."

    def handle(self, *args, **options):
        reports = audit_chains_verify()
        for report in reports:
            self.stdout.write(str(report))
        broken = [report for report in reports if not report.intact]
        if broken:
            raise CommandError(f"{len(broken)} of {len(reports)} audit chains are broken.")
        self.stdout.write(f"{len(reports)} audit chains verified, none broken.")
