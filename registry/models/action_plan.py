"""The action plan's goals as data: what each programme offers and whom it names, what the
agreements serve, what the networks' activities drew; and who is reminded of what.

Action plan for internationalisation of first- and second-cycle education, Faculty of Medicine,
2025-2027: CIM activities (Certificate of International Merits) and courses or parts in English
(1.1, 1.2), integration of incoming students, participation in the networks' activities (3.1),
universities each programme names for teacher mobility (2.2), and cooperation anchored in the UN
Sustainable Development Goals (3.2). The AP checks in ``checks/action_plan.py`` read these tables.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from registry.models.base import Record
from registry.models.core import Count, NonEmpty, Text
from registry.schema_types import AcademicYear, Indexed, Ref, Slug


class ComponentKind(StrEnum):
    cim_activity = "cim_activity"  # counts towards the Certificate of International Merits
    english_taught = "english_taught"  # a course or part of a course taught in English
    integration = "integration"  # brings incoming students together with the programme's own


class ActivityKind(StrEnum):
    summer_school = "summer_school"
    course = "course"
    virtual_exchange = "virtual_exchange"
    conference = "conference"
    staff_week = "staff_week"
    student_competition = "student_competition"
    working_group = "working_group"
    other = "other"


SDG_NAMES = {
    1: "No poverty",
    2: "Zero hunger",
    3: "Good health and well-being",
    4: "Quality education",
    5: "Gender equality",
    6: "Clean water and sanitation",
    7: "Affordable and clean energy",
    8: "Decent work and economic growth",
    9: "Industry, innovation and infrastructure",
    10: "Reduced inequalities",
    11: "Sustainable cities and communities",
    12: "Responsible consumption and production",
    13: "Climate action",
    14: "Life below water",
    15: "Life on land",
    16: "Peace, justice and strong institutions",
    17: "Partnerships for the goals",
}
"""The 17 goals of the UN 2030 Agenda (A/RES/70/1), by number."""


class ProgrammeComponent(Record):
    """A course, part of a course or activity of a programme that serves an action-plan goal: a
    CIM activity, teaching in English, or an activity that integrates incoming students. A
    programme's flags (``cim_activities``, ``english_components``) say whether it has any; these
    rows say which, so the review pack can name them."""

    table: ClassVar[str] = "programme_components"
    label_column: ClassVar[str] = "title"
    ordered: ClassVar = (("since_year", "until_year"),)

    id: Slug
    programme: Annotated[Slug, Ref("programmes")]
    kind: Annotated[ComponentKind, Indexed()]
    title: NonEmpty
    course_code: NonEmpty | None = None
    credits: Annotated[float, Field(ge=0, le=120)] | None = None
    semester: Annotated[NonEmpty | None, Field(description="where in the programme, e.g. 'semester 4'")] = None
    since_year: Annotated[AcademicYear | None, Field(description="first academic year given")] = None
    until_year: Annotated[AcademicYear | None, Field(description="last academic year given (none: still given)")] = None
    notes: Text | None = None


class TeacherMobilityPartner(Record):
    """A foreign university a programme names as of interest for teacher mobility (action plan
    2.2, first bullet), with why and when it was named."""

    table: ClassVar[str] = "programme_teacher_partners"
    primary_key: ClassVar[tuple[str, ...]] = ("programme", "institution")

    programme: Annotated[Slug, Ref("programmes")]
    institution: Annotated[Slug, Ref("institutions")]
    named_on: date
    reason: Text | None = None


class AgreementSdg(Record):
    """A UN Sustainable Development Goal an agreement serves (action plan 3.2), and how."""

    table: ClassVar[str] = "agreement_sdgs"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "sdg")

    agreement: Annotated[Slug, Ref("agreements", cascade=True)]
    sdg: Annotated[int, Field(ge=1, le=17, description="goal number, 1-17")]
    how: Annotated[Text | None, Field(description="what in the cooperation serves the goal")] = None


class NetworkActivity(Record):
    """An activity of a network (a summer school, a course, a staff week) and how many of the
    programme's students and teachers took part (action plan 3.1). Counts only."""

    table: ClassVar[str] = "network_activities"
    label_column: ClassVar[str] = "title"
    ordered: ClassVar = (("starts_on", "ends_on"),)

    id: Slug
    network: Annotated[Slug, Ref("networks")]
    programme: Annotated[Slug | None, Ref("programmes"), Field(description="the programme that took part")] = None
    title: NonEmpty
    kind: Annotated[ActivityKind, Indexed()] = ActivityKind.other
    starts_on: Annotated[date, Indexed()]
    ends_on: date | None = None
    students: Annotated[Count, Field(description="the programme's students who took part")] = 0
    teachers: Annotated[Count, Field(description="the programme's teachers who took part")] = 0
    notes: Text | None = None


class ReminderRecipient(Record):
    """Who receives reminders: a home-side contact (a role address) for one programme's
    agreements, or, with no programme, for all of them (the faculty's coordinator). A home
    contact named on an agreement receives that agreement's reminders without a row here."""

    table: ClassVar[str] = "reminder_recipients"

    id: Slug
    contact: Annotated[Slug, Ref("contacts", cascade=True)]
    programme: Annotated[Slug | None, Ref("programmes", cascade=True)] = None


class SentReminder(Record):
    """One reminder of one event sent to one address: what makes ``registry remind`` send
    each event once. Written only after the mail server accepted the digest."""

    table: ClassVar[str] = "sent_reminders"
    primary_key: ClassVar[tuple[str, ...]] = ("event", "recipient")
    audited: ClassVar[bool] = False  # the table is itself the log of what was sent

    event: Annotated[NonEmpty, Field(description="the event's stable key, e.g. ends:agreement-id:2027-06-30")]
    recipient: Annotated[NonEmpty, Indexed(), Field(description="the address the digest went to")]
    sent_at: Annotated[NonEmpty, Field(description="UTC time the server accepted the digest")]
    subject: NonEmpty


class CalendarToken(Record):
    """A secret URL a calendar program polls for ``/-/calendar.ics`` without a login. Only the
    token's SHA-256 is stored; revoking sets ``revoked_on`` and the URL stops working."""

    table: ClassVar[str] = "calendar_tokens"
    primary_key: ClassVar[tuple[str, ...]] = ("token_sha256",)

    token_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    account: Annotated[NonEmpty, Indexed(), Field(description="the login the token was made for")]
    programme: Annotated[Slug | None, Ref("programmes", cascade=True)] = None
    created_on: date
    revoked_on: date | None = None
