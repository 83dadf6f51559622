"""DQ: data quality. Records that other checks, the map and the matching cannot use well."""

from __future__ import annotations

from checks.context import Context
from checks.registry import check

_DATA_RULES = "the registry's data rules (docs/design.md, Data model)"


@check(
    code="DQ01",
    title="Partner without a ROR id",
    severity="low",
    family="DQ",
    criterion="every partner institution carries its Research Organization Registry id",
    source=_DATA_RULES,
    source_url="https://ror.org/",
    uses=("data_quality.ror_kinds",),
)
def partner_without_ror(ctx: Context):
    """Without a ROR id a partner cannot be matched reliably to other registries, to
    publications or to screening lists, and duplicates are harder to see. Look the partner
    up on ror.org and record its id."""
    return ctx.found(
        """
        SELECT 'institutions' AS subject_table, i.id AS subject_id,
               i.name AS subject_label,
               registry_message('{partner} has no ROR id.', 'partner', i.name) AS message,
               json_object('country', i.country, 'kind', i.kind) AS evidence
        FROM institutions i
        WHERE i.is_home = 0 AND i.ror IS NULL AND i.kind IN (SELECT value FROM json_each(:kinds))
        """,
        kinds=ctx.criterion("data_quality.ror_kinds"),
    )


@check(
    code="DQ02",
    title="Partner without coordinates",
    severity="low",
    family="DQ",
    criterion="every partner institution has a latitude and longitude, so it shows on the map",
    source=_DATA_RULES,
)
def partner_without_coordinates(ctx: Context):
    """The public map of partners and searches by place need coordinates. ROR records
    carry them for most universities."""
    return ctx.found(
        """
        SELECT 'institutions' AS subject_table, i.id AS subject_id,
               registry_message('{partner} has no coordinates.', 'partner', i.name) AS message,
               json_object('country', i.country, 'city', i.city, 'latitude', i.latitude, 'longitude', i.longitude) AS evidence
        FROM institutions i
        WHERE i.is_home = 0 AND (i.latitude IS NULL OR i.longitude IS NULL)
        """
    )


@check(
    code="DQ03",
    title="Likely duplicate institution",
    severity="medium",
    family="DQ",
    criterion="each institution is recorded once",
    source=_DATA_RULES,
    uses=("data_quality.duplicate_name_kinds",),
)
def likely_duplicate_institution(ctx: Context):
    """Two institution records in the same country share a name (compared case-folded and
    transliterated; acronyms excluded, as unrelated institutions share them). Agreements
    and reviews split between two records hide a partner's full picture. The finding is on
    the record that sorts later; merge it into the other or record why they differ. Fuzzy
    duplicates are found by the matching tools (``registry dedupe``), not here."""
    return ctx.found(
        """
        WITH names AS (
          SELECT n.institution, n.name_folded, i.country
          FROM institution_names n JOIN institutions i ON i.id = n.institution
          WHERE n.kind IN (SELECT value FROM json_each(:kinds))
        ),
        pairs AS (
          SELECT DISTINCT b.institution AS later, a.institution AS earlier, a.name_folded, a.country
          FROM names a JOIN names b
            ON b.name_folded = a.name_folded AND b.country = a.country AND b.institution > a.institution
        )
        -- grouped before the later institution's row is read: once each (56,725 at a million
        -- agreements), not once for each of its pairs (244,429); the pairs come in the same order
        SELECT 'institutions' AS subject_table, g.later AS subject_id, i.name AS subject_label,
               registry_message('{partner} may be the same institution as {others}.', 'partner', i.name,
                                'others', g.others) AS message,
               json_object('country', g.country, 'same_as', json(g.same_as), 'shared_names', json(g.shared_names)) AS evidence
        FROM (SELECT p.later, p.country, group_concat(DISTINCT p.earlier) AS others,
                     json_group_array(DISTINCT p.earlier) AS same_as,
                     json_group_array(DISTINCT p.name_folded) AS shared_names
              FROM pairs p GROUP BY p.later) AS g
        JOIN institutions i ON i.id = g.later
        """,
        kinds=ctx.criterion("data_quality.duplicate_name_kinds"),
    )


@check(
    code="DQ04",
    title="Agreement without a partner",
    severity="medium",
    family="DQ",
    criterion="every agreement names at least one party other than the home institution",
    source=_DATA_RULES,
)
def agreement_without_partner(ctx: Context):
    """An agreement with no partner recorded cannot be checked for due diligence nor found
    by partner or country."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id,
               registry_message('Agreement "{title}" names no partner institution.', 'title', a.title) AS message,
               json_object('status', a.status, 'kind', a.kind) AS evidence
        FROM agreements a
        WHERE NOT EXISTS (
          SELECT 1 FROM agreement_parties p
          -- a party that is not a home institution, asked of the home ones, listed once: a party's
          -- institution exists (its foreign key), so it is a partner exactly when it is not among
          -- them, and the list of the few home ones is quicker to ask than that of every partner
          -- (0.73 -> 0.29 s of CPU at 200,000 agreements); the + keeps SQLite from searching
          -- the parties by each listed institution instead
          WHERE p.agreement = a.id AND +p.institution NOT IN (SELECT i.id FROM institutions i WHERE i.is_home = 1))
        """
    )


@check(
    code="DQ05",
    title="Agreement without a programme",
    severity="low",
    family="DQ",
    criterion="every mobility agreement names the programmes it serves",
    source=_DATA_RULES,
    uses=("portfolio.mobility_kinds",),
)
def agreement_without_programme(ctx: Context):
    """The portfolio review per programme (action plan 3.1) and the programme checks read
    which programmes an agreement serves. A mobility agreement that names none is invisible
    to them."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id,
               registry_message('Agreement "{title}" names no programme it serves.', 'title', a.title) AS message,
               json_object('status', a.status, 'kind', a.kind) AS evidence
        FROM agreements a
        WHERE a.kind IN (SELECT value FROM json_each(:kinds))
          AND a.status NOT IN ('expired', 'terminated')
          AND NOT EXISTS (SELECT 1 FROM agreement_programmes g WHERE g.agreement = a.id)
        """,
        kinds=ctx.criterion("portfolio.mobility_kinds"),
    )


@check(
    code="DQ06",
    title="Active agreement without a coordinator",
    severity="low",
    family="DQ",
    criterion="every active agreement names the role that keeps it",
    source=_DATA_RULES,
)
def active_agreement_without_coordinator(ctx: Context):
    """Someone must renew, review and answer for an agreement. Record the role (not the
    person) that keeps it, e.g. "International coordinator, medical programme"."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id,
               a.title AS subject_label,
               registry_message('Active agreement "{title}" names no coordinator.', 'title', a.title) AS message,
               json_object('home_unit', a.home_unit, 'ends_on', a.ends_on) AS evidence
        FROM agreements a
        WHERE a.status = 'active' AND a.coordinator IS NULL
        """
    )
