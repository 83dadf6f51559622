"""PL: clinical placements of incoming medical students, against the routine Region Skåne and
Lund University agreed; AP20 and GDE20: the catalogue of outgoing opportunities (a programme's
mobility window, and the agreements behind its destinations).

The routine: a unit offers about 2-4 places a year, 4 weeks each and never shorter or longer;
calls go out in April and October; the faculty assigns students (the unit cannot choose) and
changes to a unit's commitment must come before that; the faculty coordinates each student's
infection control and health check, insurance, confidentiality agreement, review of prior
education and prerequisites, and the course certificate afterwards.
"""

from __future__ import annotations

from checks.action_plan import PLAN, PLAN_URL
from checks.context import Context
from checks.registry import check
from registry.models.placements import CHECKLIST_BEFORE_START, ITEM_DONE

_ROUTINE = "Region Skåne and Lund University, routine for clinical placement of international medical students"
_ROUTINE_URL = (
    "https://www.intramed.lu.se/undervisa-och-handleda/internationella-mojligheter/"
    "ta-emot-forskare-larare-doktorander-och-studenter/klinisk-praktik-internationella-lakarstudenter"
)

# Students who still count: not withdrawn.
_LIVE_ALLOCATIONS = """
live_allocations AS (
  SELECT a.*, ip.round FROM placement_allocations a JOIN incoming_placements ip ON ip.id = a.placement
  WHERE ip.withdrawn = 0
)"""


@check(
    code="PL01",
    title="Placement capacity outside the usual range",
    severity="low",
    family="PL",
    criterion="a host unit offers about 2-4 placements a year",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
    uses=("placements.places_per_year",),
)
def capacity_outside_usual_range(ctx: Context):
    """The routine expects a unit to take about 2-4 students a year. Fewer is hardly worth a
    call; more may be more than the unit can supervise next to its own programme students.
    Confirm the figure with the unit, or waive the finding with the reason."""
    limits = ctx.criterion("placements.places_per_year")
    return ctx.found(
        """
        SELECT 'placement_hosts' AS subject_table, h.id AS subject_id,
               registry_message('{unit} offers {places} place(s) a year, outside the usual {min}-{max}.', 'unit', h.unit,
                                'places', h.places_per_year, 'min', :min, 'max', :max) AS message,
               json_object('places_per_year', h.places_per_year, 'min', :min, 'max', :max) AS evidence
        FROM placement_hosts h
        WHERE h.active = 1 AND h.places_per_year IS NOT NULL
          AND (h.places_per_year < :min OR h.places_per_year > :max)
        """,
        min=limits["min"],
        max=limits["max"],
    )


@check(
    code="PL02",
    title="Placement not exactly 4 weeks",
    severity="high",
    family="PL",
    criterion="every clinical placement lasts exactly 4 weeks, never shorter or longer",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
    uses=("placements.weeks", "placements.days"),
)
def placement_not_four_weeks(ctx: Context):
    """The routine allows no placement shorter or longer than 4 weeks, and the course
    (Klinisk placering/Clinical placement, 6 credits) is built on it. This reports a unit that
    offers another length, a round period of another length, and a student's placement of
    another length (from the first day to the last, both counted; Monday to Friday, Saturday
    or Sunday of the fourth week all count as 4 weeks). The registry records such a
    placement rather than refusing it, so that what happened stays on record; correct it, or
    waive the finding with the reason (e.g. a placement cut short by illness)."""
    days = ctx.criterion("placements.days")
    return ctx.found(
        """
        WITH """ + _LIVE_ALLOCATIONS + """
        SELECT 'placement_hosts' AS subject_table, h.id AS subject_id,
               registry_message('{unit} offers placements of {weeks} weeks, not {expected}.', 'unit', h.unit,
                                'weeks', h.weeks_per_place, 'expected', :weeks) AS message,
               json_object('weeks_per_place', h.weeks_per_place, 'weeks', :weeks) AS evidence
        FROM placement_hosts h
        WHERE h.active = 1 AND h.weeks_per_place != :weeks
        UNION ALL
        SELECT 'placement_periods', p.id,
               'Period ' || p.id || ' of round ' || p.round || ' lasts '
                 || CAST(julianday(p.ends_on) - julianday(p.starts_on) + 1 AS INTEGER) || ' days, not 4 weeks.',
               json_object('starts_on', p.starts_on, 'ends_on', p.ends_on,
                           'days', CAST(julianday(p.ends_on) - julianday(p.starts_on) + 1 AS INTEGER),
                           'days_min', :min, 'days_max', :max)
        FROM placement_periods p
        WHERE julianday(p.ends_on) - julianday(p.starts_on) + 1 NOT BETWEEN :min AND :max
        UNION ALL
        SELECT 'placement_allocations', a.placement,
               'The placement of ' || a.placement || ' at ' || a.host || ' lasts '
                 || CAST(julianday(a.ends_on) - julianday(a.starts_on) + 1 AS INTEGER) || ' days, not 4 weeks.',
               json_object('host', a.host, 'period', a.period, 'starts_on', a.starts_on, 'ends_on', a.ends_on,
                           'days', CAST(julianday(a.ends_on) - julianday(a.starts_on) + 1 AS INTEGER),
                           'days_min', :min, 'days_max', :max)
        FROM live_allocations a
        WHERE julianday(a.ends_on) - julianday(a.starts_on) + 1 NOT BETWEEN :min AND :max
        """,
        weeks=ctx.criterion("placements.weeks"),
        min=days["min"],
        max=days["max"],
    )


@check(
    code="PL03",
    title="More students allocated than places offered",
    severity="high",
    family="PL",
    criterion="a unit gets no more students in a period than it offered",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
)
def allocated_above_offered(ctx: Context):
    """A unit's offer for a period is what it agreed to supervise. More students than that
    (or a student where it offered none) burdens the unit beyond its commitment. Withdrawn
    students do not count. ``registry placements allocate`` refuses this; data loaded or
    edited by other means can still contain it."""
    return ctx.found(
        """
        WITH """ + _LIVE_ALLOCATIONS + """,
        counted AS (
          SELECT host, period, round, count(*) AS allocated, json_group_array(placement) AS placements
          FROM live_allocations GROUP BY host, period
        )
        SELECT 'round_offers' AS subject_table, c.host || '/' || c.period AS subject_id,
               registry_message('{unit} has {count} student(s) in period {period} but offered {places}.', 'unit', h.unit,
                                'count', c.allocated, 'period', c.period, 'places', coalesce(o.places, 0)) AS message,
               json_object('round', c.round, 'allocated', c.allocated, 'offered', coalesce(o.places, 0),
                           'placements', json(c.placements)) AS evidence
        FROM counted c
        JOIN placement_hosts h ON h.id = c.host
        LEFT JOIN round_offers o ON o.host = c.host AND o.period = c.period
        WHERE c.allocated > coalesce(o.places, 0)
        """
    )


@check(
    code="PL04",
    title="Placement host without a supervisor",
    severity="medium",
    family="PL",
    criterion="every host unit names its supervisor (a role)",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
)
def host_without_supervisor(ctx: Context):
    """The unit appoints a contact person and a supervisor, and the course is passed only on
    the supervisor's written confirmation. Record the supervising role (not a person's name)
    before the unit takes students."""
    return ctx.found(
        """
        SELECT 'placement_hosts' AS subject_table, h.id AS subject_id,
               registry_message('{unit} names no supervisor.', 'unit', h.unit) AS message,
               json_object('specialty', h.specialty, 'contact_role', h.contact_role,
                           'offers', (SELECT count(*) FROM round_offers o WHERE o.host = h.id AND o.places > 0)) AS evidence
        FROM placement_hosts h
        WHERE h.active = 1 AND h.supervisor_role IS NULL
        """
    )


@check(
    code="PL05",
    title="Host's commitment changed after allocation",
    severity="medium",
    family="PL",
    criterion="changes to a unit's offer are made before students are assigned",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
)
def commitment_changed_after_allocation(ctx: Context):
    """When students are assigned their placements, admission becomes binding and students
    start preparing their journey; the routine therefore requires any change to a unit's
    commitment before that. This reads the audit log: every change to or removal of an offer
    in a round after the round's first allocation was logged. (A new offer added later is
    not reported: it breaks no promise.) Confirm with the unit and the students concerned."""
    return ctx.found(
        """
        WITH first_allocation AS (
          SELECT pp.round, min(c.id) AS change_id, min(c.changed_at) AS changed_at
          -- The audit log is the registry's largest table, with no index on table_name: read only
          -- when there are periods to match (a one-row guard, CROSS JOINed first, or SQLite scans
          -- every change and asks the guard for each)
          FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM placement_periods)) CROSS JOIN changes c
          JOIN placement_periods pp ON pp.id = json_extract(c.after, '$.period')
          WHERE c.table_name = 'placement_allocations' AND c.operation = 'insert'
          GROUP BY pp.round
        ),
        later AS (
          SELECT json_extract(coalesce(c.after, c.before), '$.host') AS host,
                 json_extract(coalesce(c.after, c.before), '$.period') AS period,
                 f.round, f.changed_at AS allocated_at, c.id, c.changed_at, c.operation, c.actor, c.source,
                 json_extract(c.before, '$.places') AS places_before, json_extract(c.after, '$.places') AS places_after
          FROM (SELECT 1 WHERE EXISTS (SELECT 1 FROM first_allocation)) CROSS JOIN changes c
          JOIN placement_periods pp ON pp.id = json_extract(coalesce(c.after, c.before), '$.period')
          JOIN first_allocation f ON f.round = pp.round
          WHERE c.table_name = 'round_offers' AND c.operation IN ('update', 'delete') AND c.id > f.change_id
        )
        SELECT 'round_offers' AS subject_table, l.host || '/' || l.period AS subject_id,
               registry_message('The offer of {unit} for period {period} changed {count} time(s) after students were assigned '
                                || 'in round {round} ({changed_at}).', 'unit', l.host, 'period', l.period, 'count', count(*),
                                'round', l.round, 'changed_at', max(l.changed_at)) AS message,
               json_object('round', l.round, 'first_allocation_at', l.allocated_at,
                           'changes', json_group_array(json_object('at', l.changed_at, 'operation', l.operation,
                             'places_before', l.places_before, 'places_after', l.places_after,
                             'actor', l.actor, 'source', l.source))) AS evidence
        FROM later l
        GROUP BY l.host, l.period
        """
    )


@check(
    code="PL06",
    title="Admission checklist incomplete by the start date",
    severity="high",
    family="PL",
    criterion="infection control and health check, insurance, confidentiality agreement, review of prior education "
              "and prerequisites are complete before a student starts",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
    uses=("placements.checklist_due_days_before_start",),
)
def checklist_incomplete_by_start(ctx: Context):
    """The faculty admits incoming students only with infection control and a health check,
    insurance, a signed confidentiality agreement, a reviewed prior education and met
    prerequisites (final year, or a completed base placement in the subject): patient safety
    depends on them. Reported for allocated students who start within the given number of
    days, or have started, while an item is not complete (or not applicable). The course
    certificate comes after the placement and is PL07's."""
    return ctx.found(
        """
        WITH """ + _LIVE_ALLOCATIONS + """,
        needed AS (
          SELECT a.placement, a.host, a.starts_on, need.value AS item, c.status, c.status_on
          FROM live_allocations a
          CROSS JOIN json_each(:items) AS need
          LEFT JOIN admission_checklist c ON c.placement = a.placement AND c.item = need.value
          WHERE a.starts_on <= date(:today, '+' || :days || ' days')
            AND coalesce(c.status, 'missing') NOT IN (SELECT value FROM json_each(:done))
        )
        SELECT 'incoming_placements' AS subject_table, n.placement AS subject_id,
               registry_message('{placement} starts at {unit} on {date} with {count} admission item(s) not complete: {items}.',
                                'placement', n.placement, 'unit', n.host, 'date', n.starts_on, 'count', count(*),
                                'items', group_concat(n.item, ', ')) AS message,
               json_object('host', n.host, 'starts_on', n.starts_on,
                           'days_to_start', CAST(julianday(n.starts_on) - julianday(:today) AS INTEGER),
                           'warn_days_before', :days,
                           'incomplete', json_group_array(json_object('item', n.item,
                             'status', coalesce(n.status, 'missing'), 'on', n.status_on))) AS evidence
        FROM needed n
        GROUP BY n.placement
        """,
        items=list(CHECKLIST_BEFORE_START),
        done=list(ITEM_DONE),
        days=ctx.criterion("placements.checklist_due_days_before_start"),
    )


@check(
    code="PL07",
    title="Course certificate missing after the placement",
    severity="low",
    family="PL",
    criterion="the supervisor's certificate reaches the international coordinator after the placement",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
    uses=("placements.certificate_due_days_after_end",),
)
def certificate_missing_after_placement(ctx: Context):
    """The course is passed on the supervisor's written confirmation that the placement was
    completed, which the student sends to the international coordinator. Until it arrives the
    course cannot be reported nor the unit compensated. Reported the given number of days
    after the placement ended."""
    return ctx.found(
        """
        WITH """ + _LIVE_ALLOCATIONS + """
        SELECT 'incoming_placements' AS subject_table, a.placement AS subject_id,
               registry_message('No course certificate for {placement}, whose placement at {unit} ended on {date}.',
                                'placement', a.placement, 'unit', a.host, 'date', a.ends_on) AS message,
               json_object('host', a.host, 'ends_on', a.ends_on,
                           'days_since_end', CAST(julianday(:today) - julianday(a.ends_on) AS INTEGER),
                           'due_days_after_end', :days, 'status', coalesce(c.status, 'missing'), 'on', c.status_on) AS evidence
        FROM live_allocations a
        LEFT JOIN admission_checklist c ON c.placement = a.placement AND c.item = 'course_certificate'
        WHERE a.ends_on <= date(:today, '-' || :days || ' days')
          AND coalesce(c.status, 'missing') NOT IN (SELECT value FROM json_each(:done))
        """,
        days=ctx.criterion("placements.certificate_due_days_after_end"),
        done=list(ITEM_DONE),
    )


@check(
    code="PL08",
    title="Placement host outside a hospital",
    severity="low",
    family="PL",
    criterion="a host unit belongs to a hospital (university hospital or hospital unit)",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
    uses=("placements.host_institution_kinds",),
)
def host_outside_hospital(ctx: Context):
    """Clinical placements run in the region's clinics. A host recorded under a university,
    a company or a municipality is most likely filed under the wrong institution; record the
    hospital it belongs to."""
    return ctx.found(
        """
        SELECT 'placement_hosts' AS subject_table, h.id AS subject_id,
               registry_message('{unit} is recorded under {institution}, a {kind}, not a hospital.', 'unit', h.unit,
                                'institution', i.name, 'kind', i.kind) AS message,
               json_object('institution', i.id, 'kind', i.kind, 'expected', json(:kinds)) AS evidence
        FROM placement_hosts h JOIN institutions i ON i.id = h.institution
        WHERE h.active = 1 AND i.kind NOT IN (SELECT value FROM json_each(:kinds))
        """,
        kinds=ctx.criterion("placements.host_institution_kinds"),
    )


@check(
    code="PL09",
    title="Offer outside the months a unit can supervise",
    severity="low",
    family="PL",
    criterion="a unit offers places only in the months its head approved",
    source=_ROUTINE,
    source_url=_ROUTINE_URL,
)
def offer_outside_available_months(ctx: Context):
    """The head of the unit (or the section head by delegation) approves when in the year the
    unit can supervise exchange students. An offer for a period outside those months may not
    have that approval. Units that have recorded no months are not judged."""
    return ctx.found(
        """
        SELECT 'round_offers' AS subject_table, o.host || '/' || o.period AS subject_id,
               registry_message('{unit} offers {places} place(s) in period {period} ({starts_on} to {ends_on}), '
                                || 'outside the months it can supervise.', 'unit', h.unit, 'places', o.places,
                                'period', o.period, 'starts_on', p.starts_on, 'ends_on', p.ends_on) AS message,
               json_object('starts_on', p.starts_on, 'ends_on', p.ends_on,
                           'available_months', json(h.available_months)) AS evidence
        FROM round_offers o
        JOIN placement_hosts h ON h.id = o.host
        JOIN placement_periods p ON p.id = o.period
        WHERE o.places > 0 AND json_array_length(h.available_months) > 0
          AND (CAST(strftime('%m', p.starts_on) AS INTEGER) NOT IN (SELECT value FROM json_each(h.available_months))
            OR CAST(strftime('%m', p.ends_on) AS INTEGER) NOT IN (SELECT value FROM json_each(h.available_months)))
        """
    )


@check(
    code="AP20",
    title="Programme without a mobility window among its opportunities",
    severity="low",
    family="AP",
    criterion="every first- and second-cycle programme offers a period abroad in a clear mobility window",
    source=PLAN + ", goal 1.1",
    source_url=PLAN_URL,
    uses=("opportunities.window_cycles", "opportunities.not_abroad_kinds"),
)
def programme_without_window_opportunity(ctx: Context):
    """The action plan asks that every programme offer a period abroad with a clear mobility
    window: a place in the programme where studies abroad fit without delaying the degree.
    Students see it in the catalogue of outgoing opportunities; a programme none of whose
    opportunities lies in a mobility window (online courses and virtual exchange are not a
    period abroad) offers students no clear window, whatever its description says (AP04 asks
    for the description; this asks for the opportunity). Mark the opportunity that fills the
    window, or add one."""
    return ctx.found(
        """
        WITH offered AS (
          SELECT programme, count(*) AS opportunities,
                 sum(mobility_window = 1 AND kind NOT IN (SELECT value FROM json_each(:not_abroad))) AS in_window
          FROM opportunities GROUP BY programme
        )
        SELECT 'programmes' AS subject_table, p.id AS subject_id,
               registry_message(CASE
                 WHEN coalesce(o.opportunities, 0) = 0 AND p.mobility_window IS NULL
                 THEN '{programme} has no opportunities abroad in the catalogue.'
                 WHEN coalesce(o.opportunities, 0) = 0
                 THEN '{programme} has no opportunities abroad in the catalogue (its description names "{window}").'
                 WHEN p.mobility_window IS NULL
                 THEN '{programme} has {count} opportunities in the catalogue, none in a mobility window abroad.'
                 ELSE '{programme} has {count} opportunities in the catalogue, none in a mobility window abroad '
                      || '(its description names "{window}").' END,
                 'programme', p.name_en, 'count', coalesce(o.opportunities, 0), 'window', p.mobility_window) AS message,
               json_object('cycle', p.cycle, 'opportunities', coalesce(o.opportunities, 0),
                           'described_window', p.mobility_window) AS evidence
        FROM programmes p LEFT JOIN offered o ON o.programme = p.id
        WHERE p.cycle IN (SELECT value FROM json_each(:cycles)) AND coalesce(o.in_window, 0) = 0
        """,
        cycles=ctx.criterion("opportunities.window_cycles"),
        not_abroad=ctx.criterion("opportunities.not_abroad_kinds"),
    )


@check(
    code="GDE20",
    title="Opportunity offered under an agreement that does not cover it",
    severity="medium",
    family="GDE",
    criterion="every destination in the catalogue offered under an agreement names one in force, to which the destination is a party",
    source=PLAN + ": GDE (the portfolio reviewed against each programme's needs)",
    source_url=PLAN_URL,
    uses=("opportunities.agreement_in_force_statuses",),
)
def opportunity_under_wrong_agreement(ctx: Context):
    """Students choose a destination from the catalogue trusting the agreement behind it.
    A destination whose agreement has expired, been suspended or terminated, or does not name
    the destination institution as a party, promises a place that no agreement gives. Renew
    the agreement, name the right one, or take the destination out of the catalogue."""
    return ctx.found(
        """
        SELECT 'opportunity_destinations' AS subject_table, d.opportunity || '/' || d.place AS subject_id,
               registry_message(CASE WHEN a.status NOT IN (SELECT value FROM json_each(:statuses))
                                     THEN '{opportunity}: {destination} is offered under "{agreement}", which is {status}.'
                                     ELSE '{opportunity}: {destination} is offered under "{agreement}", which does not name it as a party.'
                                     END, 'opportunity', o.title, 'destination', coalesce(i.name, d.country),
                                'agreement', a.title, 'status', a.status) AS message,
               json_object('programme', o.programme, 'agreement', a.id, 'status', a.status, 'ends_on', a.ends_on,
                           'destination_is_party', d.institution IN (
                             SELECT p.institution FROM agreement_parties p WHERE p.agreement = a.id)) AS evidence
        FROM opportunity_destinations d
        JOIN opportunities o ON o.id = d.opportunity
        JOIN agreements a ON a.id = d.agreement
        LEFT JOIN institutions i ON i.id = d.institution
        WHERE a.status NOT IN (SELECT value FROM json_each(:statuses))
           OR (d.institution IS NOT NULL AND d.institution NOT IN (
                 SELECT p.institution FROM agreement_parties p WHERE p.agreement = a.id))
        """,
        statuses=ctx.criterion("opportunities.agreement_in_force_statuses"),
    )
