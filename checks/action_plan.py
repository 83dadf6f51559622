"""AP: the action plan's goals for the programmes and the portfolio.

Action plan for internationalisation of first- and second-cycle education, Faculty of
Medicine, 2025-2027: every programme offers a period abroad with a clear mobility window
(1.1) and some virtual exchange (1.2); CIM activities and teaching in English (1.1, 1.2);
incoming students are integrated with the programme's own (1.2); each programme names foreign
universities of interest for teacher mobility, and mobility agreements include teacher mobility
where possible (2.2); students and teachers take part in the networks' activities and
cooperation within the strategic networks is promoted (1.1, 2.1, 3.1); the international work
is anchored in the UN Sustainable Development Goals (3.2).

Each check's ``source`` names the goal it serves ("goal 2.2"): the review pack reads a goal's
status from the findings of the checks that name it.
"""

from __future__ import annotations

from checks.context import Context
from checks.registry import check
from checks.strategic import current_academic_year_start

PLAN = "Action plan for internationalisation 2025-2027, Faculty of Medicine, Lund University"
PLAN_URL = "https://www.medicin.lu.se/"


@check(
    code="AP01",
    title="Mobility agreement without teacher mobility",
    severity="low",
    family="AP",
    criterion="mobility agreements include teacher mobility where possible",
    source=PLAN + ", goal 2.2",
    source_url=PLAN_URL,
    uses=("portfolio.teacher_mobility_kinds",),
)
def no_teacher_mobility(ctx: Context):
    """The action plan asks that mobility agreements with foreign universities include
    teacher mobility where possible (2.2). This active agreement has no staff_teaching term
    in either direction. Add one at the next renewal, or record why it is not possible
    (waive the finding with the reason)."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" has no teacher-mobility (staff teaching) term.', 'title', a.title) AS message,
               json_object('kind', a.kind,
                           'categories', (SELECT json_group_array(DISTINCT t.category) FROM mobility_terms t WHERE t.agreement = a.id)) AS evidence
        FROM agreements a
        WHERE a.status = 'active' AND a.kind IN (SELECT value FROM json_each(:kinds))
          AND NOT EXISTS (SELECT 1 FROM mobility_terms t WHERE t.agreement = a.id AND +t.category = 'staff_teaching')
        """,
        kinds=ctx.criterion("portfolio.teacher_mobility_kinds"),
    )


@check(
    code="AP02",
    title="Programme with no active agreement",
    severity="medium",
    family="AP",
    criterion="every programme offers its students a period abroad",
    source=PLAN + ", goal 1.1",
    source_url=PLAN_URL,
)
def programme_without_agreement(ctx: Context):
    """Every programme shall offer its students the chance to spend part of their
    education abroad (1.1). No active agreement names this programme among those it serves,
    so its students have no exchange place of their own. Link existing agreements to the
    programme, or find partners for it."""
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('Programme "{programme}" is served by no active agreement.', 'programme', g.name_en) AS message,
               json_object('cycle', g.cycle,
                           'agreements_not_active', (SELECT json_group_array(a.id || ' (' || a.status || ')')
                                                     FROM agreement_programmes ap JOIN agreements a ON a.id = ap.agreement
                                                     WHERE ap.programme = g.id)) AS evidence
        FROM programmes g
        WHERE NOT EXISTS (SELECT 1 FROM agreement_programmes ap JOIN agreements a ON a.id = ap.agreement
                          WHERE ap.programme = g.id AND a.status = 'active')
        """
    )


@check(
    code="AP03",
    title="Programme without virtual exchange",
    severity="low",
    family="AP",
    criterion="every programme offers some form of virtual exchange",
    source=PLAN + ", goal 1.2",
    source_url=PLAN_URL,
)
def programme_without_virtual_exchange(ctx: Context):
    """Virtual cooperation with foreign universities complements physical mobility, and
    all programmes should offer some form of virtual exchange (1.2). This programme records
    none; a blended or virtual mobility term with a partner is one way to offer it."""
    return ctx.found(
        """
        -- the virtual or blended terms counted by agreement once, from their partial index
        -- (idx_mobility_terms_agreement_where_virtual_blended, whose condition is written here as
        -- there), then by programme from their agreements: every term of every programme's
        -- agreements was read (two million at a million agreements), to find almost none
        WITH virtual AS MATERIALIZED (
          SELECT t.agreement, count(*) AS terms FROM mobility_terms t
          WHERE t.virtual = 1 OR t.blended = 1 GROUP BY t.agreement
        ),
        counted AS MATERIALIZED (
          SELECT ap.programme, sum(v.terms) AS terms
          FROM virtual v JOIN agreement_programmes ap ON ap.agreement = v.agreement GROUP BY ap.programme
        )
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('Programme "{programme}" offers no virtual exchange.', 'programme', g.name_en) AS message,
               json_object('cycle', g.cycle, 'virtual_exchange', json('false'),
                           'virtual_or_blended_terms', coalesce(c.terms, 0)) AS evidence
        FROM programmes g LEFT JOIN counted c ON c.programme = g.id
        WHERE g.virtual_exchange = 0
        """
    )


@check(
    code="AP04",
    title="Programme without a mobility window",
    severity="low",
    family="AP",
    criterion="every programme has a clear mobility window in its syllabus",
    source=PLAN + ", goal 1.1",
    source_url=PLAN_URL,
)
def programme_without_mobility_window(ctx: Context):
    """Every programme shall have clear mobility windows in its programme syllabus (1.1):
    the semester or period where a stay abroad fits without delaying the degree. None is
    recorded for this programme."""
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('Programme "{programme}" records no mobility window.', 'programme', g.name_en) AS message,
               json_object('cycle', g.cycle) AS evidence
        FROM programmes g WHERE g.mobility_window IS NULL
        """
    )


@check(
    code="AP05",
    title="Strategic-network partner without an active agreement (opportunity)",
    severity="info",
    family="AP",
    criterion="cooperation within the faculty's strategic networks is promoted",
    source=PLAN + ", goal 3.1 (U21 Health Sciences Group, EUGLOH, GAME)",
    source_url=PLAN_URL,
)
def network_partner_without_agreement(ctx: Context):
    """Cooperation within the strategic networks (U21 HSG, EUGLOH and GAME) is to be
    promoted (3.1). This current member of such a network has no active agreement with us:
    an opportunity, not a fault, shown so that programmes looking for partners see it."""
    return ctx.found(
        """
        SELECT 'institutions' AS subject_table, i.id AS subject_id,
               registry_message('{partner} ({country}) is in {networks} and has no active agreement with us.', 'partner', i.name,
                               'country', i.country, 'networks', group_concat(coalesce(n.acronym, n.name), ', ')) AS message,
               json_object('networks', json_group_array(n.id), 'country', i.country) AS evidence
        FROM memberships m
        JOIN networks n ON n.id = m.network AND n.strategic = 1
        JOIN institutions i ON i.id = m.institution AND i.is_home = 0
        WHERE (m.until IS NULL OR m.until >= CAST(strftime('%Y', :today) AS INTEGER))
          AND NOT EXISTS (SELECT 1 FROM agreement_parties p JOIN agreements a ON a.id = p.agreement
                          -- the +: through the partner's few agreements, never every active one per partner
                          WHERE p.institution = i.id AND +a.status = 'active')
        GROUP BY i.id
        """
    )


def _components(kind: str, flag: str) -> str:
    """A programme's current components of one kind, and whether it has any (flag or rows)."""
    return f"""
        SELECT 'programmes' AS subject_table, g.id AS subject_id, g.name_en AS name, g.cycle AS cycle,
               g.{flag} AS flagged,
               (SELECT json_group_array(c.title) FROM programme_components c
                WHERE c.programme = g.id AND c.kind = '{kind}') AS ever
        FROM programmes g
        WHERE g.cycle IN (SELECT value FROM json_each(:cycles)) AND g.{flag} = 0
          AND NOT EXISTS (SELECT 1 FROM programme_components c WHERE c.programme = g.id AND c.kind = '{kind}'
                          AND (c.until_year IS NULL OR c.until_year >= :current))
    """


def _current_year(ctx: Context) -> str:
    start = current_academic_year_start(ctx)
    return f"{start}/{start + 1}"


@check(
    code="AP06",
    title="Programme without CIM activities",
    severity="low",
    family="AP",
    criterion="every programme encourages and enables Certificate of International Merits (CIM) activities",
    source=PLAN + ", goal 1.1 (fourth bullet) and 1.2 (first bullet)",
    source_url=PLAN_URL,
    uses=("action_plan.cycles",),
)
def programme_without_cim(ctx: Context):
    """Every programme shall encourage and enable Certificate of International Merits (CIM)
    activities (1.1) and contribute to a wide offer of CIM activities at home (1.2). This
    programme neither says it has CIM activities nor records one that is still given. Record
    the activities (``programme_components`` of kind ``cim_activity``), or plan some."""
    return ctx.found(
        f"""
        SELECT subject_table, subject_id,
               registry_message('Programme "{{programme}}" records no CIM activity given in {{year}}.', 'programme', name, 'year', :current)
                 AS message,
               json_object('cycle', cycle, 'cim_activities', json('false'), 'components_no_longer_given', json(ever),
                           'academic_year', :current) AS evidence
        FROM ({_components('cim_activity', 'cim_activities')})
        """,
        cycles=ctx.criterion("action_plan.cycles"),
        current=_current_year(ctx),
    )


@check(
    code="AP07",
    title="Programme without teaching in English",
    severity="low",
    family="AP",
    criterion="every programme offers courses, parts of courses or components in English",
    source=PLAN + ", goal 1.2 (fourth bullet)",
    source_url=PLAN_URL,
    uses=("action_plan.cycles",),
)
def programme_without_english(ctx: Context):
    """Every programme shall offer courses, parts of courses or components in English (1.2):
    they let incoming students join and prepare the programme's own for a period abroad. This
    programme neither says it has them nor records one still given (``programme_components``
    of kind ``english_taught``)."""
    return ctx.found(
        f"""
        SELECT subject_table, subject_id,
               registry_message('Programme "{{programme}}" records no course or component taught in English in {{year}}.',
                               'programme', name, 'year', :current) AS message,
               json_object('cycle', cycle, 'english_components', json('false'),
                           'components_no_longer_given', json(ever),
                           'academic_year', :current) AS evidence
        FROM ({_components('english_taught', 'english_components')})
        """,
        cycles=ctx.criterion("action_plan.cycles"),
        current=_current_year(ctx),
    )


@check(
    code="AP08",
    title="Programme names no universities for teacher mobility",
    severity="low",
    family="AP",
    criterion="every programme identifies foreign universities of particular interest for teacher mobility",
    source=PLAN + ", goal 2.2 (first bullet)",
    source_url=PLAN_URL,
    uses=("action_plan.cycles",),
)
def programme_names_no_teacher_partners(ctx: Context):
    """Every programme shall identify foreign universities that are of particular interest
    for teacher mobility (2.2). This programme has named none
    (``programme_teacher_partners``). The partners its teachers already visit under a
    staff-teaching term are listed in the evidence as a starting point."""
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('Programme "{programme}" names no foreign university of interest for teacher mobility.',
                               'programme', g.name_en) AS message,
               json_object('cycle', g.cycle,
                           'partners_with_teacher_mobility', (
                               -- from this programme's agreements, in the order they were linked to it
                               -- (CROSS JOIN: on a small registry SQLite went through every active
                               -- agreement for each programme, asking whether it served it)
                               SELECT json_group_array(DISTINCT p.institution) FROM agreement_programmes ap
                               CROSS JOIN agreements a ON a.id = ap.agreement AND a.status = 'active'
                               JOIN agreement_parties p ON p.agreement = a.id
                               WHERE ap.programme = g.id
                                 -- one term is enough: a join went over the partners again for each. On
                                 -- ap, not a, so it is asked only of this programme's agreements (on a, SQLite
                                 -- asked it of every active agreement first: 1.6x the time at a million);
                                 -- the agreements with such a term listed once, from the category's index,
                                 -- rather than each agreement's terms read
                                 AND +ap.agreement IN (SELECT t.agreement FROM mobility_terms t
                                                       WHERE t.category = 'staff_teaching')
                                 -- a partner: not a home institution (a party's institution exists, by its
                                 -- foreign key), asked of the few home ones rather than each partner's row
                                 -- (with the list above, 1.56 -> 0.93 s of CPU at 200,000 agreements)
                                 AND +p.institution NOT IN (SELECT h.id FROM institutions h WHERE h.is_home = 1))) AS evidence
        FROM programmes g
        WHERE g.cycle IN (SELECT value FROM json_each(:cycles))
          AND NOT EXISTS (SELECT 1 FROM programme_teacher_partners n WHERE n.programme = g.id)
        """,
        cycles=ctx.criterion("action_plan.cycles"),
    )


@check(
    code="AP09",
    title="Named teacher-mobility partner without a teacher-mobility term",
    severity="info",
    family="AP",
    criterion="the universities a programme names for teacher mobility can be visited under an agreement",
    source=PLAN + ", goal 2.2",
    source_url=PLAN_URL,
)
def named_partner_without_teacher_term(ctx: Context):
    """A programme named this university as of interest for teacher mobility (2.2), but no
    active agreement with it has a teacher-mobility (staff teaching) term. An opportunity
    for the next negotiation: add the term, or agree a staff-mobility agreement."""
    return ctx.found(
        """
        SELECT 'programme_teacher_partners' AS subject_table, n.programme || '/' || n.institution AS subject_id,
               registry_message('Programme "{programme}" named {partner} for teacher mobility on {date}, '
                               || 'but no active agreement with it has a teacher-mobility term.',
                               'programme', g.name_en, 'partner', i.name, 'date', n.named_on) AS message,
               json_object('programme', n.programme, 'institution', n.institution, 'named_on', n.named_on,
                           'active_agreements', (SELECT json_group_array(a.id) FROM agreement_parties p
                                                 JOIN agreements a ON a.id = p.agreement AND a.status = 'active'
                                                 WHERE p.institution = n.institution)) AS evidence
        FROM programme_teacher_partners n
        JOIN programmes g ON g.id = n.programme
        JOIN institutions i ON i.id = n.institution
        WHERE NOT EXISTS (SELECT 1 FROM agreement_parties p
                          JOIN agreements a ON a.id = p.agreement AND a.status = 'active'
                          JOIN mobility_terms t ON t.agreement = a.id AND t.category = 'staff_teaching'
                          WHERE p.institution = n.institution)
        """
    )


@check(
    code="AP10",
    title="Programme took part in no network activity",
    severity="low",
    family="AP",
    criterion="students' and teachers' participation in the activities of international networks is encouraged",
    source=PLAN + ", goals 1.1 and 1.2 (students in networks), 2.1 (teachers in networks) and 3.1",
    source_url=PLAN_URL,
    uses=("action_plan.cycles", "action_plan.network_activity_years"),
)
def programme_without_network_activity(ctx: Context):
    """Students' and teachers' participation in the activities of international
    organisations and networks shall be encouraged (1.1, 1.2, 2.1), and cooperation within the
    strategic networks promoted (3.1). None of this programme's students or teachers is recorded
    in a network activity (``network_activities``) in the last N academic years."""
    years = ctx.criterion("action_plan.network_activity_years")
    first = current_academic_year_start(ctx) - years + 1
    month = ctx.criterion("portfolio.academic_year_starts_month")
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('No student or teacher of programme "{programme}" took part in a network activity since {date}.',
                               'programme', g.name_en, 'date', :since) AS message,
               json_object('cycle', g.cycle, 'since', :since, 'window_years', :years,
                           'last_activity', (SELECT max(x.starts_on) FROM network_activities x
                                             WHERE x.programme = g.id AND x.students + x.teachers > 0)) AS evidence
        FROM programmes g
        WHERE g.cycle IN (SELECT value FROM json_each(:cycles))
          AND NOT EXISTS (SELECT 1 FROM network_activities x WHERE x.programme = g.id
                          AND x.students + x.teachers > 0 AND x.starts_on >= :since)
        """,
        cycles=ctx.criterion("action_plan.cycles"),
        years=years,
        since=f"{first:04d}-{month:02d}-01",
    )


@check(
    code="AP11",
    title="Programme whose agreements serve no Sustainable Development Goal",
    severity="info",
    family="AP",
    criterion="the international work is anchored in the UN Sustainable Development Goals",
    source=PLAN + ", goal 3.2",
    source_url=PLAN_URL,
    uses=("action_plan.cycles",),
)
def programme_without_sdg(ctx: Context):
    """The international work shall be anchored in the UN Sustainable Development Goals and
    the university's sustainability work (3.2). None of the active agreements serving this
    programme records which goal it serves (``agreement_sdgs``). Record the goals at the
    next review of each agreement: good health (3) and quality education (4) are the usual."""
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message('None of the active agreements of programme "{programme}" ({count}) records a Sustainable Development Goal.',
                               'programme', g.name_en, 'count', count(a.id)) AS message,
               json_object('cycle', g.cycle, 'active_agreements', json_group_array(a.id)) AS evidence
        FROM programmes g
        JOIN agreement_programmes ap ON ap.programme = g.id
        JOIN agreements a ON a.id = ap.agreement AND a.status = 'active'
        WHERE g.cycle IN (SELECT value FROM json_each(:cycles))
        GROUP BY g.id
        -- from this programme's agreements, then their goals, then whether the agreement is active
        -- (CROSS JOIN: SQLite went through every active agreement of the registry for each
        -- programme, asking whether it served it)
        HAVING NOT EXISTS (SELECT 1 FROM agreement_programmes bp
                           CROSS JOIN agreement_sdgs s ON s.agreement = bp.agreement
                           CROSS JOIN agreements b ON b.id = bp.agreement AND b.status = 'active'
                           WHERE bp.programme = g.id)
        """,
        cycles=ctx.criterion("action_plan.cycles"),
    )


def _year_from(first: int) -> str:
    """Text no greater than any academic year whose first four characters read as a year from
    ``first`` on (``CAST(substr(academic_year, 1, 4) AS INTEGER) >= first``), so that a
    condition ``academic_year >= this`` can seek in an index by agreement and year without
    changing what that condition keeps: a four-digit year's text sorts as its number does, and
    only four digits read as 1000 or more. Otherwise '', no narrower than any text."""
    return str(first) if 1000 <= first <= 9999 else ""


@check(
    code="AP12",
    title="Incoming students but no integration activity",
    severity="low",
    family="AP",
    criterion="integration of incoming students with the programme's own students is encouraged",
    source=PLAN + ", goal 1.2 (third bullet)",
    source_url=PLAN_URL,
    uses=("action_plan.cycles", "action_plan.integration_years"),
)
def incoming_without_integration(ctx: Context):
    """Integration between incoming students and the programme's own shall be encouraged in
    joint international courses, peer learning, the faculty's mentoring and other activities
    (1.2). This programme received exchange students in the last N academic years but records no
    current integration activity (``programme_components`` of kind ``integration``)."""
    years = ctx.criterion("action_plan.integration_years")
    current = current_academic_year_start(ctx)
    first = current - years + 1
    return ctx.found(
        """
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               registry_message(CASE WHEN sum(f.participants) = 1
                                 THEN 'Programme "{programme}" received 1 exchange student since {year} but records no integration activity.'
                                 ELSE 'Programme "{programme}" received {count} exchange students since {year} but records no integration activity.'
                                 END,
                               'programme', g.name_en, 'count', sum(f.participants), 'year', printf('%d/%d', :first, :first + 1))
                 AS message,
               json_object('cycle', g.cycle, 'incoming_students', sum(f.participants),
                           'from', printf('%d/%d', :first, :first + 1), 'academic_year', :current) AS evidence
        FROM programmes g
        JOIN agreement_programmes ap ON ap.programme = g.id
        JOIN mobility_flows f ON f.agreement = ap.agreement AND f.direction = 'incoming'
             AND f.category IN ('student_studies', 'student_traineeship')
             -- the text first: it seeks in the flows' key (agreement, academic_year) (_year_from)
             AND f.academic_year >= :first_text AND CAST(substr(f.academic_year, 1, 4) AS INTEGER) >= :first
        WHERE g.cycle IN (SELECT value FROM json_each(:cycles))
          AND NOT EXISTS (SELECT 1 FROM programme_components c WHERE c.programme = g.id AND c.kind = 'integration'
                          AND (c.until_year IS NULL OR c.until_year >= :current))
        GROUP BY g.id
        HAVING sum(f.participants) > 0
        """,
        cycles=ctx.criterion("action_plan.cycles"),
        first=first,
        first_text=_year_from(first),
        current=f"{current}/{current + 1}",
    )
