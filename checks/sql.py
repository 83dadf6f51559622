"""SQL several checks share, so that "partner" means one thing everywhere."""

from __future__ import annotations

from typing import Any

from checks.context import Context

# Institution by institution, each one's parties in the order they were recorded; an agreement
# is live if its id is not among the agreements that are not, listed once from the index by
# status (reading each party's agreement row for its status took most of the time). The list
# of the others is the shorter where most agreements are live (in the synthetic registry of
# 200,000, 36,000 ids against 164,000: 1.6 -> 1.3 s of CPU for this table), and says the same:
# every party's agreement exists (its foreign key) and has a status (NOT NULL). No DISTINCT: an
# institution is party to an agreement once (the parties' key). The CROSS JOIN and the + keep
# that order: the agreements come in it.
_LIVE_PARTNERS = """
  SELECT i.id AS institution, i.name, i.country, i.kind,
         json_group_array(p.agreement) AS agreements
  FROM institutions i
  CROSS JOIN agreement_parties p ON p.institution = i.id
  WHERE i.is_home = 0{countries}
    AND +p.agreement NOT IN (SELECT a.id FROM agreements a WHERE a.status NOT IN (SELECT value FROM json_each(:live_statuses)))
  GROUP BY i.id
"""


def live_partners(ctx: Context, countries: str = "", **params: Any) -> str:
    """A table of every non-home institution party to a draft, negotiating, active or
    suspended agreement (``live_statuses`` in the criteria): institution, name, country,
    kind, and its agreements as a JSON array. Built once per run; use as
    ``FROM {live_partners(ctx)} p``. ``countries``, SQL that lists countries (with its
    ``params``), keeps only the partners in those: the table is built by whichever check asks
    for it first, so every check that reads it must pass the same (checks.responsible does, from
    one function)."""
    where = f"\n    AND i.country IN ({countries})" if countries else ""
    return ctx.temp_table("live_partners", _LIVE_PARTNERS.format(countries=where),
                          live_statuses=ctx.criterion("live_statuses"), **params)
