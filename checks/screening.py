"""GRE: partners that match an entity on a screening list (``registry screen``).

The checks read what the last screening recorded in ``risk_matches`` (current matches only),
leave out the pairs a reviewer called "not the same" while the listed entity is unchanged,
and give one finding per partner with every match as evidence: the entity, its list, the
score and band, and the name variants and words that were aligned. Screen again after
loading a list or adding partners; the checks do not match names themselves.
"""

from __future__ import annotations

from checks.context import Context
from checks.registry import check
from registry.i18n import N_
from registry.screening import OPEN_MATCHES

_SCREENING = "the faculty's action plan, responsible engagement (GRE): risk-minimised partnerships"
_ASPI = "ASPI China Defence Universities Tracker (risk level: proxy derived from its categories)"
_ASPI_URL = "https://unitracker.aspi.org.au/"

# A finding's message: the partner is, probably is or may be the listed entity, with how many more.
MESSAGES = {
    "is_one": N_("{partner} is {entity} on {list} ({how}, score {score:.2f})."),
    "is_more": N_("{partner} is {entity} on {list} ({how}, score {score:.2f}) and {more} more listed entities."),
    "probably_one": N_("{partner} probably is {entity} on {list} ({how}, score {score:.2f})."),
    "probably_more": N_("{partner} probably is {entity} on {list} ({how}, score {score:.2f}) and {more} more listed entities."),
    "maybe_one": N_("{partner} may be {entity} on {list} ({how}, score {score:.2f})."),
    "maybe_more": N_("{partner} may be {entity} on {list} ({how}, score {score:.2f}) and {more} more listed entities."),
}

# One finding per partner: the partner's matches (best first) as evidence, the first named.
_FINDINGS = f"""
WITH {OPEN_MATCHES.strip()},
selected AS (SELECT * FROM open_matches WHERE {{condition}}),
partners AS (
  SELECT institution FROM selected GROUP BY institution HAVING {{having}}
)
SELECT 'institutions' AS subject_table, s.institution AS subject_id,
       (SELECT registry_message(CASE
                 WHEN s2.decision = 'confirmed' THEN CASE WHEN count(*) = 1 THEN :is_one ELSE :is_more END
                 WHEN s2.band = 'probable' THEN CASE WHEN count(*) = 1 THEN :probably_one ELSE :probably_more END
                 ELSE CASE WHEN count(*) = 1 THEN :maybe_one ELSE :maybe_more END END,
               'partner', s2.partner, 'entity', s2.entity, 'list', s2.list_name, 'how', coalesce(s2.decision, s2.band),
               'score', s2.score, 'more', count(*) - 1)
          FROM selected s2 WHERE s2.institution = s.institution
          ORDER BY s2.decision = 'confirmed' DESC, s2.score DESC LIMIT 1) AS message,
       json_object('matches', json_group_array(json_object(
         'list', s.list, 'list_name', s.list_name, 'entity_id', s.entity_id, 'entity', s.entity,
         'categories', json(s.categories), 'band', s.band, 'score', s.score, 'decision', s.decision,
         'partner_name', s.institution_name, 'listed_name', s.entity_name,
         'aligned', json(s.explanation) -> 'aligned', 'explanation', json(s.explanation) ->> 'explanation',
         'first_seen', s.first_seen, 'last_seen', s.last_seen))) AS evidence
FROM (SELECT * FROM selected ORDER BY decision = 'confirmed' DESC, score DESC) s
WHERE s.institution IN (SELECT institution FROM partners)
GROUP BY s.institution
"""

_SANCTIONS = "list_kind <> 'defence_universities'"
_DEFENCE = "list_kind = 'defence_universities'"
_STRONG = "(band = 'probable' OR coalesce(decision, '') = 'confirmed')"


def _findings(ctx: Context, *, condition: str, having: str):
    return ctx.found(_FINDINGS.format(condition=condition, having=having), **MESSAGES)


@check(
    code="GRE20",
    title="Partner probably on a screening list",
    severity="high",
    family="GRE",
    criterion="no partner is an entity on an imported sanctions or screening list, unless a reviewer has cleared it",
    source=_SCREENING,
)
def partner_probably_on_screening_list(ctx: Context):
    """The partner's name matches an entity on an imported sanctions or screening list in the
    probable band (or a reviewer confirmed the match): words aligned on the distinctive parts
    of the names, no extra distinctive words, and no disagreeing country. Agreements with a
    listed entity may be prohibited or need a licence. Read the evidence (the names and words
    that matched), then record the decision with ``registry screen decide``: "not the same"
    sets the pair aside until the listed entity changes."""
    return _findings(ctx, condition=_SANCTIONS, having=f"max({_STRONG})")


@check(
    code="GRE22",
    title="Partner possibly on a screening list",
    severity="medium",
    family="GRE",
    criterion="every possible match of a partner with a listed entity is resolved by a reviewer",
    source=_SCREENING,
)
def partner_possibly_on_screening_list(ctx: Context):
    """The partner's name matches an entity on an imported sanctions or screening list only in
    the possible band: the names share their distinctive words but differ in some, or only an
    acronym matched. A person decides in seconds from the evidence; record it with
    ``registry screen decide`` so it is not asked again."""
    return _findings(ctx, condition=_SANCTIONS, having=f"NOT max({_STRONG})")


@check(
    code="GRE21",
    title="Partner on the defence-universities list (military, security or defence industry)",
    severity="high",
    family="GRE",
    criterion="no partner is an institution that ASPI lists as military, security, defence-industry or one of the "
              "Seven Sons of National Defence, unless reviewed",
    source=_ASPI,
    source_url=_ASPI_URL,
)
def partner_on_defence_list_high(ctx: Context):
    """The partner probably is (or a reviewer confirmed it is) an institution on the China
    Defence Universities Tracker in the categories Military, Seven sons of national defence,
    Defence industry conglomerate or Security. ASPI rates these very high risk; the registry
    derives that from the categories, as the 2020 snapshot lacks ASPI's own rating. The
    responsible-engagement guidelines ask for a review of military and security links and an
    export-control assessment before any agreement."""
    return _findings(ctx, condition=f"{_DEFENCE} AND risk_proxy = 'very_high'", having=f"max({_STRONG})")


@check(
    code="GRE23",
    title="Partner on the defence-universities list (civilian, or a possible match)",
    severity="medium",
    family="GRE",
    criterion="every partner that is, or may be, on the defence-universities list is reviewed",
    source=_ASPI,
    source_url=_ASPI_URL,
)
def partner_on_defence_list_medium(ctx: Context):
    """The partner probably is a civilian university on the China Defence Universities
    Tracker (ASPI lists it for defence research, laboratories or supervision by defence
    agencies; its rating is high or medium, so read the tracker's page), or it possibly is
    any institution on the tracker. Review the partner's defence links, or record with
    ``registry screen decide`` that it is not the listed institution. A partner with a
    high-risk match (GRE21) is not reported here again."""
    return _findings(
        ctx,
        condition=_DEFENCE,
        having=f"NOT max({_STRONG} AND coalesce(risk_proxy, '') = 'very_high')",
    )
