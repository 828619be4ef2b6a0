"""The Provider dashboard's sections of a patient's profile (visits, consents, photos, care messages)."""
