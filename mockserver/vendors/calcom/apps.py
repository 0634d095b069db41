"""The three calendar apps the Cal.com calendars endpoints know, as Cal.com's app store describes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import envelope

# The `{calendar}` path values (CALENDARS in @calcom/platform-constants), in Cal.com's order.
GOOGLE = "google"
OFFICE365 = "office365"
APPLE = "apple"
CALENDARS = (GOOGLE, OFFICE365, APPLE)
OAUTH_CALENDARS = (GOOGLE, OFFICE365)

# BadRequestException("Invalid calendar type, available calendars are: ", CALENDARS.join(", ")):
# the list is the exception's *description*, so the message ends with the colon and space.
INVALID_CALENDAR = envelope.INVALID_CALENDAR


@dataclass(frozen=True)
class CalendarApp:
    """One calendar app (packages/app-store/<dir>/_metadata.ts and package.json)."""

    calendar: str  # the `{calendar}` path value
    type: str  # Credential.type
    app_id: str  # Credential.appId (the app slug)
    dir_name: str
    name: str
    description: str
    default_domain: str  # for the accounts the fake invents

    def integration(self) -> dict[str, Any]:
        """The ``integration`` object of a connected calendar in ``GET /v2/calendars``."""
        return {
            "name": self.name,
            "description": self.description,
            "installed": True,
            "type": self.type,
            "title": self.name,
            "variant": "calendar",
            "category": "calendar",
            "categories": ["calendar"],
            "logo": f"/api/app-store/{self.dir_name}/icon.svg",
            "publisher": "Cal.com",
            "slug": self.app_id,
            "url": "https://cal.com/",
            "email": "help@cal.com",
            "dirName": self.dir_name,
            "locationOption": None,
        }


APPS: dict[str, CalendarApp] = {
    GOOGLE: CalendarApp(
        GOOGLE,
        "google_calendar",
        "google-calendar",
        "googlecalendar",
        "Google Calendar",
        "Google Calendar is a time management and scheduling service developed by Google. Allows users to "
        "create and edit events, with options available for type and time. Available to anyone that has a "
        "Gmail account on both mobile and web versions.",
        "gmail.com",
    ),
    OFFICE365: CalendarApp(
        OFFICE365,
        "office365_calendar",
        "office365-calendar",
        "office365calendar",
        "Office 365 / Outlook.com Calendar",
        "Microsoft Office 365 is a suite of apps that helps you stay connected with others and get things "
        "done. It includes but is not limited to Microsoft Word, PowerPoint, Excel, Teams, OneNote and "
        "OneDrive. Office 365 allows you to work remotely with others on a team and collaborate in an online "
        "environment. Both web versions and desktop/mobile applications are available.",
        "outlook.com",
    ),
    APPLE: CalendarApp(
        APPLE,
        "apple_calendar",
        "apple-calendar",
        "applecalendar",
        "Apple Calendar",
        "Apple calendar runs both the macOS and iOS mobile operating systems. Offering online cloud backup of "
        "calendars using Apple\u2019s iCloud service, it can sync with Google Calendar and Microsoft Exchange "
        "Server. Users can schedule events in their day that include time, location, duration, and extra notes.",
        "icloud.com",
    ),
}

APPS_BY_TYPE: dict[str, CalendarApp] = {app.type: app for app in APPS.values()}

# The messages of each service's check() (gcal.service.ts, outlook.service.ts, apple-calendar.service.ts).
CHECK_MESSAGES: dict[str, dict[str, str]] = {
    GOOGLE: {
        "missing": "Credentials for google_calendar not found.",
        "invalid": "Invalid google OAuth credentials.",
        "not_connected": "Google Calendar not connected.",
    },
    OFFICE365: {
        "missing": "Credentials for office_365_calendar not found.",
        "invalid": "Invalid office 365 calendar credentials.",
        "not_connected": "Office 365 calendar not connected.",
    },
    APPLE: {
        "missing": "Credentials for apple calendar not found.",
        "invalid": "Invalid apple calendar credentials.",
        "not_connected": "Apple calendar not connected.",
    },
}
