"""GDE: the strategic portfolio. Agreements that are used, balanced, within their terms and current.

The action plan asks that the agreement portfolio be reviewed continuously against the
programmes' needs (3.1) and that partners be chosen for long-term quality (GDE). These
checks read the agreements, their terms and the mobility counts.
"""

from __future__ import annotations

from checks.context import Context
from checks.registry import check

PORTFOLIO = "Action plan for internationalisation 2025-2027, Faculty of Medicine, Lund University: GDE and 3.1"
PORTFOLIO_URL = "https://www.medicin.lu.se/"


def current_academic_year_start(ctx: Context) -> int:
    """The first calendar year of the academic year that ``today`` falls in."""
    start_month = ctx.criterion("portfolio.academic_year_starts_month")
    return ctx.today.year if ctx.today.month >= start_month else ctx.today.year - 1


@check(
    code="GDE01",
    title="Agreement unused for several years",
    severity="low",
    family="GDE",
    criterion="the portfolio holds agreements that are used",
    source=PORTFOLIO,
    source_url=PORTFOLIO_URL,
    uses=("portfolio.unused_years", "portfolio.mobility_kinds"),
)
def agreement_unused(ctx: Context):
    """An active mobility agreement, older than the window, recorded no mobility in
    either direction in the last N academic years. An unused agreement costs upkeep and
    due diligence and promises students options that do not exist: revive it with the
    programmes that need it, or let it end."""
    years = ctx.criterion("portfolio.unused_years")
    current = current_academic_year_start(ctx)
    return ctx.found(
        """
        -- the flows of the agreements old enough to judge, rather than of every agreement, grouped
        WITH u AS MATERIALIZED (
          SELECT a.id AS agreement, (SELECT max(f.academic_year) FROM mobility_flows f
                                     WHERE f.agreement = a.id AND f.participants > 0) AS last_used
          FROM agreements a
          WHERE a.status = 'active' AND a.kind IN (SELECT value FROM json_each(:kinds))
            AND (coalesce(a.starts_on, a.signed_on) IS NULL OR coalesce(a.starts_on, a.signed_on) < printf('%04d-%02d-01', :first, :month))
        )
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message(CASE WHEN u.last_used IS NULL
                 THEN 'Agreement "{title}" recorded no mobility in the last {years} academic years ({first} to {last}); none was ever recorded.'
                 ELSE 'Agreement "{title}" recorded no mobility in the last {years} academic years ({first} to {last}); last used {last_used}.'
                 END, 'title', a.title, 'years', :years, 'first', printf('%d/%d', :first, :first + 1),
                 'last', printf('%d/%d', :last, :last + 1), 'last_used', u.last_used) AS message,
               json_object('window_years', :years, 'from', printf('%d/%d', :first, :first + 1),
                           'to', printf('%d/%d', :last, :last + 1), 'last_used', u.last_used,
                           'starts_on', coalesce(a.starts_on, a.signed_on)) AS evidence
        FROM agreements a
        JOIN u ON u.agreement = a.id
        WHERE u.last_used IS NULL OR CAST(substr(u.last_used, 1, 4) AS INTEGER) < :first
        """,
        years=years,
        first=current - years,
        last=current - 1,
        month=ctx.criterion("portfolio.academic_year_starts_month"),
        kinds=ctx.criterion("portfolio.mobility_kinds"),
    )


# Each active agreement's mobility in each academic year from :first to :last, with its heavier
# side and ratio, among the years with at least :minimum participants (GDE02). The flows of
# active agreements only, their ids listed once from the index by status; the + keeps the flows
# read in their key's order, so they are grouped as they come. ``flows``: where the flows come
# from (all of them, or a few agreements' by their key).
_JUDGED_YEARS = """
  SELECT *, CASE WHEN went > came THEN 'outgoing' ELSE 'incoming' END AS heavier,
         CAST(max(went, came) AS REAL) / max(min(went, came), 1) AS ratio
  FROM (SELECT f.agreement, f.academic_year,
               sum(CASE WHEN f.direction = 'outgoing' THEN f.participants ELSE 0 END) AS went,
               sum(CASE WHEN f.direction = 'incoming' THEN f.participants ELSE 0 END) AS came
        FROM {flows}
        WHERE CAST(substr(f.academic_year, 1, 4) AS INTEGER) BETWEEN :first AND :last
          AND +f.agreement IN (SELECT a.id FROM agreements a WHERE a.status = 'active')
        GROUP BY f.agreement, f.academic_year)
  WHERE went + came >= :minimum
"""


@check(
    code="GDE02",
    title="Mobility unbalanced for several years",
    severity="low",
    family="GDE",
    criterion="exchange is reciprocal over time",
    source=PORTFOLIO + "; Erasmus+ inter-institutional agreements (balance of mobility)",
    source_url=PORTFOLIO_URL,
    uses=("portfolio.imbalance_ratio", "portfolio.imbalance_years", "portfolio.imbalance_min_participants"),
)
def flows_unbalanced(ctx: Context):
    """In each of the last N academic years, one direction outnumbered the other by more
    than the ratio, always the same way. Exchange agreements rest on reciprocity (tuition
    waivers, places); a lasting imbalance strains the partner or the home faculty and is a
    reason to adjust places or renegotiate."""
    years = ctx.criterion("portfolio.imbalance_years")
    current = current_academic_year_start(ctx)
    return ctx.found(
        f"""
        -- An agreement is found only if each of the N years passes the same way: which ones do is
        -- told first, each agreement's passing years counted with their heavier side and nothing
        -- else (at a million agreements 889,173 of 1.6 million years passed and none lasted; each
        -- was made into JSON and sorted with it for a group that then fell short); only those
        -- agreements' years are then summed again, listed and described, as before.
        WITH candidates AS MATERIALIZED (
          SELECT agreement FROM ({_JUDGED_YEARS.format(flows="mobility_flows f")}) AS j
          WHERE ratio > :ratio
          GROUP BY agreement HAVING count(*) = :years AND min(heavier) = max(heavier)
        ),
        judged AS ({_JUDGED_YEARS.format(flows="candidates c CROSS JOIN mobility_flows f ON f.agreement = c.agreement")}),
        lasting AS (
          SELECT agreement, heavier, count(*) AS years, sum(went) AS went, sum(came) AS came,
                 json_group_array(json_object('year', academic_year, 'outgoing', went, 'incoming', came,
                                              'ratio', round(ratio, 2))) AS by_year
          FROM judged WHERE ratio > :ratio
          GROUP BY agreement, heavier HAVING count(*) = :years
        )
        SELECT 'agreements' AS subject_table, l.agreement AS subject_id,
               registry_message('Agreement "{{title}}": {{direction}} mobility outnumbered the other direction more than {{ratio}} to 1 '
                                || 'in each of the last {{years}} years ({{went}} out, {{came}} in).', 'title', a.title,
                                'direction', l.heavier, 'ratio', :ratio, 'years', :years, 'went', l.went, 'came', l.came) AS message,
               json_object('heavier', l.heavier, 'threshold_ratio', :ratio, 'years', json(l.by_year),
                           'min_participants', :minimum) AS evidence
        FROM lasting l JOIN agreements a ON a.id = l.agreement
        WHERE a.status = 'active'
        """,
        years=years,
        first=current - years,
        last=current - 1,
        ratio=ctx.criterion("portfolio.imbalance_ratio"),
        minimum=ctx.criterion("portfolio.imbalance_min_participants"),
    )


@check(
    code="GDE03",
    title="More places used than agreed",
    severity="low",
    family="GDE",
    criterion="mobility stays within the places the agreement gives",
    source=PORTFOLIO,
    source_url=PORTFOLIO_URL,
    uses=("portfolio.overuse_years",),
)
def places_overused(ctx: Context):
    """In a recent academic year more people went (or came) in a category than the
    agreement's terms give places for. The partner may charge tuition for the excess or
    refuse nominations; update the terms or plan within them."""
    current = current_academic_year_start(ctx)
    return ctx.found(
        """
        -- Not flattened: its places were summed once per use of the column. Only the flows over
        -- their places are kept (the inner select, not flattened either, sums them once per flow):
        -- kept whole, all 2.1 million flows of the window were written out at a million agreements.
        WITH used AS MATERIALIZED (
          SELECT * FROM (
            SELECT f.agreement, f.academic_year, f.direction, f.category, f.participants,
                   (SELECT sum(t.places_per_year) FROM mobility_terms t
                    WHERE t.agreement = f.agreement AND +t.direction = f.direction AND +t.category = f.category
                      AND t.places_per_year IS NOT NULL
                      AND (t.first_academic_year IS NULL OR t.first_academic_year <= f.academic_year)
                      AND (t.last_academic_year IS NULL OR t.last_academic_year >= f.academic_year)) AS places
            FROM mobility_flows f
            WHERE CAST(substr(f.academic_year, 1, 4) AS INTEGER) BETWEEN :first AND :last
            LIMIT -1 OFFSET 0)
          WHERE places IS NOT NULL AND participants > places
        )
        SELECT 'agreements' AS subject_table, u.agreement AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" used more places than agreed: {overuse}.', 'title', a.title,
                      'overuse', group_concat(printf('%s %s %s: %d of %d', u.academic_year, u.direction,
                                          replace(u.category, '_', ' '), u.participants, u.places), '; ')) AS message,
               json_object('overuse', json_group_array(json_object('year', u.academic_year, 'direction', u.direction,
                                                                   'category', u.category, 'participants', u.participants,
                                                                   'places', u.places))) AS evidence
        FROM used u JOIN agreements a ON a.id = u.agreement
        WHERE u.places IS NOT NULL AND u.participants > u.places
        GROUP BY u.agreement
        """,
        first=current - ctx.criterion("portfolio.overuse_years"),
        last=current,
    )


@check(
    code="GDE04",
    title="Agreement ending soon with no renewal under way",
    severity="medium",
    family="GDE",
    criterion="agreements the programmes need are renewed in time",
    source=PORTFOLIO,
    source_url=PORTFOLIO_URL,
    uses=("portfolio.ending_within_months",),
)
def ending_without_renewal(ctx: Context):
    """An active agreement ends within N months, does not renew automatically, and no
    successor with the same partner and of the same kind is being drafted or negotiated (or
    already runs beyond it). Students are nominated a year ahead: decide now whether to
    renew, and record the draft."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" ends on {date} (in {days} days) and no renewal is under way.',
                                'title', a.title, 'date', a.ends_on,
                                'days', CAST(julianday(a.ends_on) - julianday(:today) AS INTEGER)) AS message,
               json_object('ends_on', a.ends_on, 'renewal', a.renewal, 'within_months', :months, 'today', :today) AS evidence
        FROM agreements a
        WHERE a.status = 'active' AND a.renewal <> 'automatic'
          AND a.ends_on >= :today AND a.ends_on <= date(:today, printf('+%d months', :months))
          AND NOT EXISTS (
            SELECT 1 FROM agreement_parties mine
            JOIN institutions i ON i.id = mine.institution AND i.is_home = 0
            JOIN agreement_parties theirs ON theirs.institution = mine.institution AND theirs.agreement <> a.id
            JOIN agreements b ON b.id = theirs.agreement AND b.kind = a.kind
            WHERE mine.agreement = a.id
              AND (b.status IN ('draft', 'negotiating') OR (b.status = 'active' AND (b.ends_on IS NULL OR b.ends_on > a.ends_on))))
        """,
        months=ctx.criterion("portfolio.ending_within_months"),
    )


@check(
    code="GDE05",
    title="Agreement past its end but still active",
    severity="medium",
    family="GDE",
    criterion="the registry tells which agreements are in force",
    source=PORTFOLIO,
    source_url=PORTFOLIO_URL,
)
def past_end_still_active(ctx: Context):
    """The agreement's end date has passed, it does not renew automatically, and it is
    still marked active. Either it was renewed (record the new end date) or it has expired
    (mark it so), so that students and partners are not promised places that no longer
    exist."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" ended on {date} ({days} days ago) but is still marked active.',
                                'title', a.title, 'date', a.ends_on,
                                'days', CAST(julianday(:today) - julianday(a.ends_on) AS INTEGER)) AS message,
               json_object('ends_on', a.ends_on, 'renewal', a.renewal, 'today', :today) AS evidence
        FROM agreements a
        WHERE a.status = 'active' AND a.ends_on < :today AND a.renewal <> 'automatic'
        """
    )
