"""GRE: responsible engagement. Academic freedom, human rights, ethics and risk.

The action plan asks that partners be chosen with care for academic freedom, human rights
and democratic values, and that cooperation be ethically grounded and risk-minimised. These
checks read the country indicators (``data/indicators/``), the derived ``country_risk`` and
the reviews; a finding asks a person to look, it decides nothing.

Codes GRE20 and GRE21 are kept for the screening checks (``checks/screening.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from checks.context import Context, FoundQuery
from checks.registry import CheckFunction, check
from checks.sql import live_partners
from registry import i18n
from registry.i18n import N_
from registry.message_sql import compiled_message

ACTION_PLAN = "Action plan for internationalisation 2025-2027, Faculty of Medicine, Lund University: GRE"
ACTION_PLAN_URL = "https://www.medicin.lu.se/"
_COUNTRY_NAME = "coalesce((SELECT c.name FROM country_classifications c WHERE c.country = p.country), p.country)"


@dataclass(frozen=True)
class IndicatorThreshold:
    """A check that flags live partners whose country's indicator in ``country_freedom`` is past
    a threshold from ``data/criteria.yml``: one row of ``INDICATOR_THRESHOLDS``."""

    code: str
    name: str  # the check function's name
    title: str
    severity: str
    criterion: str
    source: str
    source_url: str
    rationale: str  # the docstring users read
    condition: str  # SQL over ``f`` (country_freedom) and the parameters
    message: str  # the template, "{partner} is in {country}, ..." (its country part made once per country)
    message_values: str  # SQL for the format's values
    evidence: str  # json_object key-value pairs between the country and the source
    parameters: dict[str, str] = field(default_factory=dict)  # SQL parameter -> criteria key
    also_uses: tuple[str, ...] = ()  # criteria keys the rationale speaks of, shown in the docs


INDICATOR_THRESHOLDS = (
    IndicatorThreshold(
        code="GRE01", name="academic_freedom_low", title="Partner country with restricted academic freedom",
        severity="medium", criterion="partners are chosen with care for academic freedom",
        source=ACTION_PLAN + "; V-Dem Academic Freedom Index", source_url="https://academic-freedom-index.net/",
        rationale="""The partner's country scores below the threshold on the Academic Freedom Index
        (bands D and E by default). Staff and students there may not be free to teach, study,
        publish or speak; cooperation may expose them, or our people, to pressure. The review
        should ask what the partnership means for the people involved and record it.""",
        condition="f.academic_freedom < :below",
        message=N_("{partner} is in {country}, whose Academic Freedom Index is {index:.3f} ({year}, band {band}), "
                   "below {threshold}."),
        message_values="'index', f.academic_freedom, 'year', f.year, 'band', f.academic_freedom_band, 'threshold', :below",
        evidence="'academic_freedom', f.academic_freedom, 'band', f.academic_freedom_band, 'year', f.year, "
                 "'threshold', :below",
        parameters={"below": "academic_freedom.flag_below"},
        also_uses=("academic_freedom.bands",),
    ),
    IndicatorThreshold(
        code="GRE02", name="academic_freedom_declining", title="Partner country where academic freedom is declining",
        severity="low", criterion="partners are chosen with care for academic freedom",
        source=ACTION_PLAN + "; V-Dem Academic Freedom Index", source_url="https://academic-freedom-index.net/",
        rationale="""The Academic Freedom Index of the partner's country fell markedly over the last
        five years of data, whatever its level. A decline is an early sign that conditions
        for a partnership are changing; look again at agreements there before they renew.""",
        condition="f.academic_freedom_change_5y <= -:drop",
        message=N_("{partner} is in {country}, whose Academic Freedom Index fell by {fall:.3f} in the {years} years "
                   "to {year} (now {index:.3f})."),
        message_values="'fall', -f.academic_freedom_change_5y, 'years', :years, 'year', f.year, 'index', f.academic_freedom",
        evidence="'academic_freedom', f.academic_freedom, 'year', f.year, 'change', f.academic_freedom_change_5y, "
                 "'over_years', :years, 'threshold', -:drop",
        parameters={"years": "academic_freedom.decline_years", "drop": "academic_freedom.decline_at_least"},
    ),
    IndicatorThreshold(
        code="GRE03", name="liberal_democracy_low", title="Partner country with low liberal democracy",
        severity="low", criterion="partners are chosen with care for democratic values and human rights",
        source=ACTION_PLAN + "; V-Dem Liberal Democracy Index", source_url="https://www.v-dem.net/",
        rationale="""The partner's country scores below the threshold on V-Dem's Liberal Democracy
        Index: weak rule of law, civil liberties or checks on government. The action plan asks
        that partners be chosen with care for democratic values.""",
        condition="f.liberal_democracy < :below",
        message=N_("{partner} is in {country}, whose Liberal Democracy Index is {index:.3f} ({year}), below {threshold}."),
        message_values="'index', f.liberal_democracy, 'year', f.year, 'threshold', :below",
        evidence="'liberal_democracy', f.liberal_democracy, 'year', f.year, 'change_5y', f.liberal_democracy_change_5y, "
                 "'threshold', :below",
        parameters={"below": "liberal_democracy.flag_below"},
    ),
)


# An indicator check's message is "{partner} is in {country}, whose ...": all but the
# partner's name is the same for every partner in a country, and its values are REALs with
# formats, which SQLite writes otherwise than Python. So each country's part of the message
# (its text and its values as JSON) is made once, by registry.i18n as registry_message would,
# and SQLite joins each partner's name to it (registry.message_sql.compiled_message).
_LEADING = "{partner}"
_COUNTRY_PART = """
SELECT f.country, registry_message(:rest, 'country', {country_name}, {values}) AS message
FROM country_freedom f WHERE {condition}
"""
# A name SQLite would write otherwise than Python (a REAL, a BLOB), or a country without its
# part, takes the whole message from the Python function.
_BY_PYTHON = "cp.country IS NULL OR typeof(p.name) IN ('real', 'blob')"


def _country_parts(ctx: Context, row: IndicatorThreshold, parameters: dict[str, object]) -> str:
    """JSON: for each country past the threshold, its part of the message (what follows the
    partner's name) and that part's values as the members of a JSON object."""
    parts = {}
    sql = _COUNTRY_PART.format(country_name=_COUNTRY_NAME.replace("p.country", "f.country"),
                               values=row.message_values, condition=row.condition)
    for found in ctx.query(sql, rest=row.message[len(_LEADING):], **parameters):
        parts[found["country"]] = [i18n.recorded_message(found["message"]), i18n.message_members(found["message"])]
    return json.dumps(parts, ensure_ascii=False)


def indicator_check(row: IndicatorThreshold) -> CheckFunction:
    """The check one row of ``INDICATOR_THRESHOLDS`` describes, registered under its code."""
    if not row.message.startswith(_LEADING) or i18n.template_fields(row.message[len(_LEADING):]) is None:
        raise ValueError(f"{row.code}'s message must begin with {_LEADING} and have plain fields")
    text = "coalesce(p.name, '') || cp.text"
    values = """json('{"partner":' || json_quote(p.name) || ',' || cp.members || '}')"""

    def run(ctx: Context) -> FoundQuery:
        parameters = {name: ctx.criterion(key) for name, key in row.parameters.items()}
        return ctx.found(
            f"""
            WITH cp AS MATERIALIZED (
              SELECT key AS country, value ->> '$[0]' AS text, value ->> '$[1]' AS members FROM json_each(:parts))
            SELECT 'institutions' AS subject_table, p.institution AS subject_id, p.name AS subject_label,
                   CASE WHEN {_BY_PYTHON}
                        THEN registry_message(:message, 'partner', p.name, 'country', {_COUNTRY_NAME}, {row.message_values})
                        ELSE {compiled_message(text, ":message_key", values)} END AS message,
                   json_object('country', p.country, {row.evidence},
                               'source', f.source, 'licence', f.licence, 'agreements', json(p.agreements)) AS evidence
            FROM {_partners(ctx)} p JOIN country_freedom f ON f.country = p.country
            LEFT JOIN cp ON cp.country = p.country
            WHERE {row.condition}
            """,
            message=row.message,
            message_key=i18n.template_key(row.message),
            parts=_country_parts(ctx, row, parameters),
            **parameters,
        )

    run.__name__ = run.__qualname__ = row.name
    run.__doc__ = row.rationale
    return check(code=row.code, title=row.title, severity=row.severity, family="GRE", criterion=row.criterion,
                 source=row.source, source_url=row.source_url, uses=(*row.parameters.values(), *row.also_uses))(run)


INDICATOR_CHECKS = [indicator_check(row) for row in INDICATOR_THRESHOLDS]


def _partners(ctx: Context) -> str:
    """The live partners (checks.sql.live_partners) that the checks here read: those in a
    country past one of ``INDICATOR_THRESHOLDS`` (GRE01-03) or under an EU restrictive measure
    (GRE04-06). Every one of those checks joins the table to such countries, so the others were
    never read: in the synthetic registry of a million agreements, 79,523 of 199,999 partners
    are in such countries, and GRE01-06 with the table took 12.0-16.2 s of CPU with all of them,
    7.3-9.4 s with these (each alone, alternately, at load 7-8)."""
    conditions, params = [], {}
    for row in INDICATOR_THRESHOLDS:  # each row's parameters renamed apart: GRE01 and GRE03 both have a 'below'
        conditions.append(re.sub(r":(\w+)", rf":{row.code}_\1", row.condition))
        params.update({f"{row.code}_{name}": ctx.criterion(key) for name, key in row.parameters.items()})
    countries = (f"SELECT f.country FROM country_freedom f WHERE {' OR '.join(f'({c})' for c in conditions)} "
                 "UNION SELECT m.country FROM eu_restrictive_measures m")
    return live_partners(ctx, countries, **params)


@check(
    code="GRE04",
    title="Partner country under EU sanctions or arms embargo",
    severity="high",
    family="GRE",
    criterion="cooperation respects EU restrictive measures and is risk-minimised",
    source="EU restrictive measures (EU Sanctions Map); " + ACTION_PLAN,
    source_url="https://www.sanctionsmap.eu/",
)
def eu_restrictive_measures(ctx: Context):
    """The EU has a sanctions regime or an arms embargo concerning the partner's country.
    Most regimes target listed persons and goods, not universities as such, but they bind
    the university: check the partner, its owners and the subjects and equipment involved
    against the regime's legal act, and ask the export-control officer where goods, software
    or technology could move."""
    return ctx.found(
        f"""
        WITH measures AS (
          SELECT country, json_group_array(json_object('regime', regime, 'kind', kind, 'legal_act', legal_act,
                                                       'adopted_on', adopted_on, 'note', note)) AS listed,
                 replace(group_concat(DISTINCT replace(kind, '_', ' ')), ',', ', ') AS kinds,
                 min(source) AS source, max(year) AS year
          FROM eu_restrictive_measures GROUP BY country
        )
        SELECT 'institutions' AS subject_table, p.institution AS subject_id, p.name AS subject_label,
               registry_message('{{partner}} is in {{country}}, under EU restrictive measures ({{measures}}).', 'partner', p.name,
                                'country', {_COUNTRY_NAME}, 'measures', m.kinds) AS message,
               json_object('country', p.country, 'measures', json(m.listed), 'source', m.source,
                           'year', m.year, 'agreements', json(p.agreements)) AS evidence
        FROM {_partners(ctx)} p JOIN measures m ON m.country = p.country
        """
    )


_SECTORAL = """
        WITH sectoral AS (
          SELECT country, group_concat(regime, '; ') AS regimes, group_concat(legal_act, '; ') AS acts
          FROM eu_restrictive_measures WHERE kind = 'sectoral' GROUP BY country
        )"""


@check(
    code="GRE05",
    title="State-controlled partner in a country under EU sectoral measures",
    severity="high",
    family="GRE",
    criterion="cooperation respects EU restrictive measures and is risk-minimised",
    source="EU restrictive measures (EU Sanctions Map); " + ACTION_PLAN,
    source_url="https://www.sanctionsmap.eu/",
    uses=("state_control.kinds",),
)
def state_controlled_partner_sectoral(ctx: Context):
    """The partner is controlled by its state (an agency, or recorded as state-controlled in
    ``state_control``) in a country under EU sectoral measures. Sectoral measures restrict
    dealings with state-owned or state-controlled bodies, financing and the transfer of
    goods and technology; an agreement may need legal advice and, for some transfers, a
    licence."""
    return ctx.found(
        _SECTORAL
        + f"""
        SELECT 'institutions' AS subject_table, p.institution AS subject_id, p.name AS subject_label,
               registry_message(CASE WHEN s.controlling_body IS NOT NULL
                 THEN '{{partner}} ({{kind}}) in {{country}} is state-controlled by {{body}}, and the country is under EU sectoral measures ({{regimes}}).'
                 ELSE '{{partner}} ({{kind}}) in {{country}} is state-controlled, and the country is under EU sectoral measures ({{regimes}}).' END,
                 'partner', p.name, 'kind', p.kind, 'country', {_COUNTRY_NAME}, 'body', s.controlling_body, 'regimes', m.regimes)
                 AS message,
               json_object('country', p.country, 'kind', p.kind, 'sectoral_regimes', m.regimes, 'legal_acts', m.acts,
                           'state_controlled_because', CASE WHEN p.kind = 'agency' THEN 'a state agency'
                                                            ELSE 'recorded in state_control' END,
                           'controlling_body', s.controlling_body, 'state_control_source', s.source,
                           'agreements', json(p.agreements)) AS evidence
        FROM {_partners(ctx)} p
        JOIN sectoral m ON m.country = p.country
        LEFT JOIN state_control s ON s.institution = p.institution
        WHERE p.kind IN (SELECT value FROM json_each(:kinds))
          AND (p.kind = 'agency' OR s.state_controlled = 1)
        """,
        kinds=ctx.criterion("state_control.kinds"),
    )


@check(
    code="GRE06",
    title="State control not recorded for a partner in a country under EU sectoral measures",
    severity="medium",
    family="GRE",
    criterion="cooperation respects EU restrictive measures and is risk-minimised",
    source="EU restrictive measures (EU Sanctions Map); " + ACTION_PLAN,
    source_url="https://www.sanctionsmap.eu/",
    uses=("state_control.kinds",),
)
def state_control_unknown_sectoral(ctx: Context):
    """The partner is in a country under EU sectoral measures and nobody has recorded
    whether it is owned or controlled by the state. Most universities there are state
    institutions, but the registry does not guess: establish it (ministry, owner, funding)
    and record it in ``state_control`` with its source, and GRE05 will take it from there."""
    return ctx.found(
        _SECTORAL
        + f"""
        SELECT 'institutions' AS subject_table, p.institution AS subject_id, p.name AS subject_label,
               registry_message('{{partner}} ({{kind}}) is in {{country}}, under EU sectoral measures ({{regimes}}), '
                                || 'and whether it is state-controlled is not recorded.',
                                'partner', p.name, 'kind', p.kind, 'country', {_COUNTRY_NAME}, 'regimes', m.regimes) AS message,
               json_object('country', p.country, 'kind', p.kind, 'sectoral_regimes', m.regimes,
                           'agreements', json(p.agreements)) AS evidence
        FROM {_partners(ctx)} p JOIN sectoral m ON m.country = p.country
        WHERE p.kind IN (SELECT value FROM json_each(:kinds)) AND p.kind <> 'agency'
          AND NOT EXISTS (SELECT 1 FROM state_control s WHERE s.institution = p.institution)
        """,
        kinds=ctx.criterion("state_control.kinds"),
    )


@check(
    code="GRE07",
    title="Sensitive subject with a high-risk country and no export-control assessment",
    severity="high",
    family="GRE",
    criterion="cooperation in dual-use and critical technologies is assessed for export control",
    source="Regulation (EU) 2021/821 (dual-use); Commission Recommendation (EU) 2023/2113; " + ACTION_PLAN,
    source_url="https://eur-lex.europa.eu/eli/reg/2021/821/oj",
    uses=("sensitive_subjects.isced", "sensitive_subjects.keywords", "country_risk.high"),
)
def sensitive_subject_high_risk(ctx: Context):
    """An agreement with a partner in a high-risk country covers a subject where knowledge
    may have military use or belongs to the EU's critical technologies (a listed ISCED-F
    field in its terms, or a listed keyword in its title, notes or terms), and no review of
    the agreement or the partner records an export-control assessment (``yes``). Teaching
    and sharing technology can be an export; ask the export-control officer before signing."""
    return ctx.found(
        """
        WITH risky AS MATERIALIZED (
          SELECT p.agreement, i.id AS institution, i.country
          FROM agreement_parties p
          JOIN institutions i ON i.id = p.institution
          JOIN country_risk r ON r.country = i.country AND r.tier = 'high'
          -- a live agreement: its id not among those that are not, listed once from the index by
          -- status, rather than each party's agreement row read (as checks.sql.live_partners; every
          -- party's agreement exists, its foreign key, and has a status, NOT NULL)
          WHERE i.is_home = 0
            AND +p.agreement NOT IN (SELECT a.id FROM agreements a WHERE a.status NOT IN (SELECT value FROM json_each(:live_statuses)))
        ),
        risky_agreements AS MATERIALIZED (SELECT DISTINCT agreement FROM risky),
        sensitive_codes AS MATERIALIZED (SELECT value ->> 'code' AS code, key AS listed FROM json_each(:isced)),
        sensitive_words AS MATERIALIZED (SELECT lower(value) AS word FROM json_each(:keywords)),
        codes AS MATERIALIZED (
          SELECT t.agreement, s.value ->> 'isced_code' AS code, t.term_no, s.key AS area_no
          FROM risky_agreements r JOIN mobility_terms t ON t.agreement = r.agreement, json_each(t.subject_areas) s
        ),
        -- Each distinct code told against the listed ones once (a few hundred codes, where the
        -- LIKE was asked of each of the 243,910 terms' codes for each listed code at a million
        -- agreements), with the first listed code it falls under. An agreement's codes are listed
        -- as that join listed them (listed codes outside, the terms' codes inside): by the first
        -- listed code each falls under, then where the agreement's terms first name it.
        matches AS MATERIALIZED (
          SELECT d.code, min(k.listed) AS listed
          FROM (SELECT DISTINCT code FROM codes) d JOIN sensitive_codes k ON d.code LIKE k.code || '%'
          GROUP BY d.code
        ),
        code_hits AS MATERIALIZED (
          SELECT agreement, json_group_array(code) AS codes
          FROM (SELECT c.agreement, c.code FROM codes c JOIN matches m ON m.code = c.code
                GROUP BY c.agreement, c.code ORDER BY c.agreement, min(m.listed), min(c.term_no * 1000000 + c.area_no))
          GROUP BY agreement
        ),
        texts AS MATERIALIZED (
          SELECT a.id AS agreement, lower(a.title || ' ' || coalesce(a.notes, '') || ' ' ||
                 coalesce((SELECT group_concat(coalesce(t.other_terms, '') || ' ' ||
                             -- a term's areas are read one by one only when one may have a clarification:
                             -- where each has none or null (no '"clarification":' followed by other than
                             -- n(ull), nor a key spelled with escapes) their list gives nothing
                             -- (subject_areas is valid JSON, by its CHECK): json_each for each of the
                             -- 243,910 terms of 121,930 agreements was a tenth of the check at a million
                             coalesce(CASE WHEN instr(t.subject_areas, char(92)) > 0
                                             OR t.subject_areas GLOB '*"clarification":[^n]*'
                                           THEN (SELECT group_concat(s.value ->> 'clarification', ' ')
                                                 FROM json_each(t.subject_areas) s) END, ''), ' ')
                           FROM mobility_terms t WHERE t.agreement = a.id), '') || ' ' ||
                 coalesce((SELECT group_concat(coalesce(d.partner_programme, ''), ' ') FROM degree_terms d WHERE d.agreement = a.id), '')
                 ) AS body
          FROM agreements a JOIN risky_agreements r ON r.agreement = a.id
        ),
        word_hits AS MATERIALIZED (
          SELECT t.agreement, json_group_array(DISTINCT k.word) AS words
          FROM texts t JOIN sensitive_words k ON instr(t.body, k.word) > 0
          GROUP BY t.agreement
        ),
        hits AS MATERIALIZED (
          SELECT r.agreement, c.codes, w.words FROM risky_agreements r
          LEFT JOIN code_hits c ON c.agreement = r.agreement LEFT JOIN word_hits w ON w.agreement = r.agreement
          WHERE c.codes IS NOT NULL OR w.words IS NOT NULL
        )
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" with {partners} (high-risk country) covers sensitive subjects ({subjects}) '
                                || 'and no review records an export-control assessment.', 'title', a.title,
                      'partners', (SELECT group_concat(DISTINCT r.institution || ', ' || r.country) FROM risky r WHERE r.agreement = a.id),
                      'subjects',
                      trim(coalesce((SELECT group_concat(value, ', ') FROM json_each(h.codes)), '') || ' ' ||
                           coalesce((SELECT group_concat(value, ', ') FROM json_each(h.words)), ''))) AS message,
               json_object('isced_codes', json(coalesce(h.codes, '[]')), 'keywords', json(coalesce(h.words, '[]')),
                           'partners', (SELECT json_group_array(json_object('institution', r.institution, 'country', r.country,
                                              'tier_reasons', json(cr.reasons)))
                                        FROM risky r JOIN country_risk cr ON cr.country = r.country WHERE r.agreement = a.id),
                           'source', :source) AS evidence
        FROM hits h JOIN agreements a ON a.id = h.agreement
        WHERE NOT EXISTS (
          SELECT 1 FROM reviews v
          WHERE v.export_control_assessed = 'yes'
            AND (v.agreement = a.id OR v.institution IN (SELECT r.institution FROM risky r WHERE r.agreement = a.id)))
        """,
        live_statuses=ctx.criterion("live_statuses"),
        isced=ctx.criterion("sensitive_subjects.isced"),
        keywords=ctx.criterion("sensitive_subjects.keywords"),
        source=ctx.criterion("sensitive_subjects.source"),
    )


_PERSONAL_DATA = """
        WITH destinations AS (
          SELECT a.id AS agreement, a.title, i.id AS institution, i.country, g.scope, g.scope_note, g.decision, g.year
          FROM agreements a
          JOIN agreement_parties p ON p.agreement = a.id
          JOIN institutions i ON i.id = p.institution AND i.is_home = 0
          LEFT JOIN gdpr_adequacy g ON g.country = i.country
          WHERE a.personal_data = 1 AND a.status IN (SELECT value FROM json_each(:live_statuses))
            AND i.country NOT IN (SELECT value FROM json_each(:eea))
        )"""


@check(
    code="GRE08",
    title="Personal data to a country without an adequacy decision",
    severity="high",
    family="GRE",
    criterion="personal and health data leave the EEA only with a lawful transfer tool",
    source="GDPR Articles 44-49; European Commission adequacy decisions",
    source_url="https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en",
    uses=("personal_data.eea",),
)
def personal_data_no_adequacy(ctx: Context):
    """The agreement moves personal or health data and a partner is in a country outside
    the EEA with no adequacy decision. A transfer needs standard contractual clauses (or
    another Article 46 safeguard), a transfer impact assessment and usually a DPIA and an
    ethics review; ask the data protection officer. Waive the finding with the reference of
    the safeguard once it is in place."""
    return ctx.found(
        _PERSONAL_DATA
        + """
        SELECT 'agreements' AS subject_table, d.agreement AS subject_id, d.title AS subject_label,
               registry_message('Agreement "{title}" moves personal data to {destinations}, with no GDPR adequacy decision.',
                      'title', d.title, 'destinations', group_concat(d.institution || ' (' || d.country || ')', ', ')) AS message,
               json_object('destinations', json_group_array(json_object('institution', d.institution, 'country', d.country)),
                           'adequacy', 'none', 'source', :source) AS evidence
        FROM destinations d WHERE d.scope IS NULL
        GROUP BY d.agreement
        """,
        live_statuses=ctx.criterion("live_statuses"),
        eea=ctx.criterion("personal_data.eea"),
        source=ctx.criterion("personal_data.source"),
    )


@check(
    code="GRE09",
    title="Personal data to a country with only a partial adequacy decision",
    severity="medium",
    family="GRE",
    criterion="personal and health data leave the EEA only with a lawful transfer tool",
    source="GDPR Article 45; European Commission adequacy decisions",
    source_url="https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en",
    uses=("personal_data.eea",),
)
def personal_data_partial_adequacy(ctx: Context):
    """The agreement moves personal or health data to a country whose adequacy decision
    covers only some recipients (e.g. the United States: organisations certified under the
    Data Privacy Framework; Canada: bodies under PIPEDA). Public universities are often not
    covered: confirm the partner is, or put a safeguard in place."""
    return ctx.found(
        _PERSONAL_DATA
        + """
        SELECT 'agreements' AS subject_table, d.agreement AS subject_id, d.title AS subject_label,
               registry_message('Agreement "{title}" moves personal data to {destinations}, where the adequacy decision is partial ({scope}).',
                      'title', d.title, 'destinations', group_concat(d.institution || ' (' || d.country || ')', ', '),
                      'scope', group_concat(DISTINCT d.scope_note)) AS message,
               json_object('destinations', json_group_array(json_object('institution', d.institution, 'country', d.country,
                                                                        'covers', d.scope_note, 'decision', d.decision,
                                                                        'year', d.year)),
                           'adequacy', 'partial', 'source', :source) AS evidence
        FROM destinations d WHERE d.scope = 'partial'
        GROUP BY d.agreement
        """,
        live_statuses=ctx.criterion("live_statuses"),
        eea=ctx.criterion("personal_data.eea"),
        source=ctx.criterion("personal_data.source"),
    )


@check(
    code="GRE10",
    title="Active agreement with a risk partner and no approved review, or a review overdue",
    severity="high",
    family="GRE",
    criterion="partnerships in risk countries are reviewed and approved, and the review is kept current",
    source=ACTION_PLAN,
    source_url=ACTION_PLAN_URL,
    uses=("review.tiers_needing_review", "review.approved_outcomes", "review.default_validity_months"),
)
def review_missing_or_overdue(ctx: Context):
    """An active agreement has a partner in a country of medium or high risk
    (``country_risk``), and the latest review of that partner or of the agreement is
    missing, did not approve, or is past its next review date. Record the decision with
    ``registry review``."""
    return ctx.found(
        """
        -- The partners in such countries, found from the few countries, and their active agreements;
        -- ordered as each agreement's parties are (by institution), which its message lists in turn.
        -- (Listing the agreements with such a partner first and then reading all their parties
        -- again looked up 359,655 agreements and each of their parties at a million agreements.)
        WITH pairs AS MATERIALIZED (
          SELECT a.id AS agreement, a.title, i.id AS institution, i.country, r.tier
          FROM country_risk r
          CROSS JOIN institutions i ON i.country = r.country AND i.is_home = 0
          CROSS JOIN agreement_parties p ON p.institution = i.id
          CROSS JOIN agreements a ON a.id = p.agreement
          WHERE r.tier IN (SELECT value FROM json_each(:tiers)) AND a.status = 'active'
          ORDER BY a.id, i.id
        ),
        latest AS (
          SELECT pr.agreement, pr.title, pr.institution, pr.country, pr.tier,
                 -- asked first whether there is any: the latest is sorted out of both indexes, for each pair
                 CASE WHEN EXISTS (SELECT 1 FROM reviews v WHERE v.institution = pr.institution)
                        OR EXISTS (SELECT 1 FROM reviews v WHERE v.agreement = pr.agreement)
                      THEN (SELECT v.id FROM reviews v WHERE v.institution = pr.institution OR v.agreement = pr.agreement
                            ORDER BY v.reviewed_on DESC, v.id DESC LIMIT 1) END AS review
          FROM pairs pr
        ),
        -- each pair's review, due date and problem made once: unmaterialized, SQLite made them
        -- again wherever they are named (the filter, the message, the evidence), each time asking
        -- for the latest review and the list of approved outcomes again
        states AS MATERIALIZED (
          SELECT l.*, v.outcome, v.reviewed_on,
                 coalesce(v.next_review_due, date(v.reviewed_on, printf('+%d months', :validity))) AS due,
                 CASE WHEN v.id IS NULL THEN 'never reviewed'
                      WHEN v.outcome NOT IN (SELECT value FROM json_each(:approved)) THEN 'latest review: ' || v.outcome
                      WHEN coalesce(v.next_review_due, date(v.reviewed_on, printf('+%d months', :validity))) < :today
                        THEN 'review overdue since ' || coalesce(v.next_review_due, date(v.reviewed_on, printf('+%d months', :validity)))
                 END AS problem
          FROM latest l LEFT JOIN reviews v ON v.id = l.review
        )
        SELECT 'agreements' AS subject_table, s.agreement AS subject_id, s.title AS subject_label,
               registry_message('Active agreement "{title}" has partners in risk countries without a current approved review: {partners}.',
                      'title', s.title,
                      'partners', group_concat(s.institution || ' (' || s.country || ', ' || s.tier || ' risk): ' || s.problem, '; '))
                 AS message,
               json_object('partners', json_group_array(json_object('institution', s.institution, 'country', s.country,
                                                                     'tier', s.tier, 'review', s.review, 'outcome', s.outcome,
                                                                     'reviewed_on', s.reviewed_on, 'due', s.due,
                                                                     'problem', s.problem)),
                           'today', :today) AS evidence
        FROM states s WHERE s.problem IS NOT NULL
        GROUP BY s.agreement
        """,
        tiers=ctx.criterion("review.tiers_needing_review"),
        approved=ctx.criterion("review.approved_outcomes"),
        validity=ctx.criterion("review.default_validity_months"),
    )


@check(
    code="GRE11",
    title="Agreement without an exit clause or notice period",
    severity="low",
    family="GRE",
    criterion="every agreement can be left: an exit clause or a notice period",
    source=ACTION_PLAN + " (risk-minimised cooperation)",
    source_url=ACTION_PLAN_URL,
)
def no_exit_clause(ctx: Context):
    """Neither an exit clause nor a notice period is recorded. If conditions at the
    partner change (academic freedom, sanctions, safety), the university must be able to
    suspend or leave the cooperation. Record the clause, or renegotiate at renewal."""
    return ctx.found(
        """
        SELECT 'agreements' AS subject_table, a.id AS subject_id, a.title AS subject_label,
               registry_message('Agreement "{title}" records neither an exit clause nor a notice period.', 'title', a.title) AS message,
               json_object('exit_clause', a.exit_clause, 'notice_months', a.notice_months, 'status', a.status) AS evidence
        FROM agreements a
        WHERE a.status IN (SELECT value FROM json_each(:live_statuses))
          AND coalesce(a.exit_clause, 0) = 0 AND a.notice_months IS NULL
        """,
        live_statuses=ctx.criterion("live_statuses"),
    )


@check(
    code="GRE12",
    title="Partner in a least-developed or low-income country without equitable terms",
    severity="medium",
    family="GRE",
    criterion="partnerships are inclusive and fair to both sides (GSE)",
    source="Action plan 2025-2027, GSE and goal 3.2; UN list of least developed countries; World Bank income groups",
    source_url="https://www.un.org/ohrlls/content/list-ldcs",
    uses=("equitable_partnership.income_levels", "equitable_partnership.least_developed"),
)
def equitable_terms_missing(ctx: Context):
    """A partner is in a least-developed or low-income country and the agreement records
    no equitable-partnership terms (who pays, who benefits, reciprocity, data and authorship),
    nor does a review answer ``equitable_terms: yes``. The action plan asks for inclusive
    and fair strategies; write the terms into the agreement."""
    return ctx.found(
        """
        -- The partners in such countries, found from the few countries (CROSS JOIN: SQLite otherwise
        -- reads every institution and looks its country up), and their agreements, ordered as each
        -- agreement's parties are (by institution), which its message lists in turn (as GRE10).
        WITH poor AS MATERIALIZED (
          SELECT a.id AS agreement, a.title, i.id AS institution, i.country, c.name, c.least_developed,
                 c.income_level, c.year, c.source
          FROM country_classifications c
          CROSS JOIN institutions i ON i.country = c.country AND i.is_home = 0
          CROSS JOIN agreement_parties p ON p.institution = i.id
          CROSS JOIN agreements a ON a.id = p.agreement
          WHERE ((:ldc AND c.least_developed = 1) OR c.income_level IN (SELECT value FROM json_each(:incomes)))
            AND a.status IN (SELECT value FROM json_each(:live_statuses))
            AND a.equitable_terms IS NULL
            AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.equitable_terms = 'yes'
                            AND (v.agreement = a.id OR v.institution = i.id))
          ORDER BY a.id, i.id
        )
        SELECT 'agreements' AS subject_table, agreement AS subject_id, title AS subject_label,
               registry_message('Agreement "{title}" with {partners} records no equitable-partnership terms.', 'title', title,
                      'partners', group_concat(institution || ' (' || name || CASE WHEN least_developed THEN ', least developed' ELSE '' END
                                   || ', ' || replace(income_level, '_', ' ') || ' income)', '; ')) AS message,
               json_object('partners', json_group_array(json_object('institution', institution, 'country', country,
                                                                     'least_developed', json(CASE WHEN least_developed THEN 'true' ELSE 'false' END),
                                                                     'income_level', income_level)),
                           'year', max(year), 'source', max(source)) AS evidence
        FROM poor GROUP BY agreement
        """,
        live_statuses=ctx.criterion("live_statuses"),
        ldc=1 if ctx.criterion("equitable_partnership.least_developed") else 0,
        incomes=ctx.criterion("equitable_partnership.income_levels"),
    )
