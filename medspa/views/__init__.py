"""Pages of the core app, one module per area: dashboards, invitations, patients, providers, account
settings, masquerade."""
