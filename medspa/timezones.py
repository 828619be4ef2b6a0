"""The time zones offered for medspas and locations: the United States' own, named as the IANA database
names them (daylight-saving rules come with the name)."""

US_TIME_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Detroit", "Eastern (Detroit)"),
    ("America/Indiana/Indianapolis", "Eastern (Indianapolis)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Boise", "Mountain (Boise)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


def time_zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """US_TIME_ZONES, plus the current value if it is another valid zone (set by Portrait, say)."""
    choices = list(US_TIME_ZONES)
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices
