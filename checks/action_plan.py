"""AP: the action plan's goals for the programmes and the portfolio.

Action plan for internationalisation of first- and second-cycle education, Faculty of
Medicine, 2025-2027: every programme offers a period abroad with a clear mobility window
(1.1) and some virtual exchange (1.2); mobility agreements include teacher mobility where
possible (2.2); cooperation within the strategic networks is promoted (3.1).
"""

from __future__ import annotations

from checks.context import Context
from checks.registry import check

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
        SELECT 'agreements' AS subject_table, a.id AS subject_id,
               printf('Agreement "%s" has no teacher-mobility (staff teaching) term.', a.title) AS message,
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
               printf('Programme "%s" is served by no active agreement.', g.name_en) AS message,
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
        SELECT 'programmes' AS subject_table, g.id AS subject_id,
               printf('Programme "%s" offers no virtual exchange.', g.name_en) AS message,
               json_object('cycle', g.cycle, 'virtual_exchange', json('false'),
                           'virtual_or_blended_terms', (SELECT count(*) FROM agreement_programmes ap
                                                        JOIN mobility_terms t ON t.agreement = ap.agreement
                                                        WHERE ap.programme = g.id AND (t.virtual = 1 OR t.blended = 1))) AS evidence
        FROM programmes g WHERE g.virtual_exchange = 0
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
               printf('Programme "%s" records no mobility window.', g.name_en) AS message,
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
               printf('%s (%s) is in %s and has no active agreement with us.', i.name, i.country,
                      group_concat(coalesce(n.acronym, n.name), ', ')) AS message,
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
