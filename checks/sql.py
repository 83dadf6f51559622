"""SQL several checks share, so that "partner" means one thing everywhere."""

from __future__ import annotations

from checks.context import Context

_LIVE_PARTNERS = """
  SELECT i.id AS institution, i.name, i.country, i.kind,
         json_group_array(DISTINCT a.id) AS agreements
  FROM agreement_parties p
  JOIN agreements a ON a.id = p.agreement
  JOIN institutions i ON i.id = p.institution
  WHERE i.is_home = 0 AND a.status IN (SELECT value FROM json_each(:live_statuses))
  GROUP BY i.id
"""


def live_partners(ctx: Context) -> str:
    """A table of every non-home institution party to a draft, negotiating, active or
    suspended agreement (``live_statuses`` in the criteria): institution, name, country,
    kind, and its agreements as a JSON array. Built once per run; use as
    ``FROM {live_partners(ctx)} p``."""
    return ctx.temp_table("live_partners", _LIVE_PARTNERS, live_statuses=ctx.criterion("live_statuses"))
