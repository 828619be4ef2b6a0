"""Locations, booking links, appointment types, availability, calendars and patient notifications."""
