"""The calendar (docs/semantics.md rule 20) as an iCalendar file (RFC 5545) for any
calendar app: one all-day event per dated event, its ``UID`` the event's stable id, so a
subscribed calendar updates an event rather than adding a copy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from reelrights.engine.calendar import CalendarEvent

PRODUCT = "-//reelrights//dates that matter//EN"


def render_ics(events: Iterable[CalendarEvent], stamp: datetime, name: str = "reelrights") -> bytes:
    """The events as an iCalendar document; ``stamp`` (UTC) is every event's DTSTAMP."""
    document = Calendar()
    document.add("prodid", PRODUCT)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("x-wr-calname", name)
    for item in events:
        entry = Event()
        entry.add("uid", f"{item.id}@reelrights")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", item.day)
        entry.add("dtend", item.day + timedelta(days=1))
        titles = ", ".join(item.titles)
        entry.add("summary", f"{item.kind}: {item.contract} ({titles})")
        entry.add("description", f"{item.detail}\nparty: {item.party}")
        entry.add("categories", [item.kind])
        entry.add("transp", "TRANSPARENT")
        document.add_component(entry)
    return bytes(document.to_ical())
