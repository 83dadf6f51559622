"""SQL fragments several checks share, so that "partner" means one thing everywhere."""

from __future__ import annotations

LIVE_PARTNERS = """
live_partners AS (
  SELECT i.id AS institution, i.name, i.country, i.kind,
         json_group_array(DISTINCT a.id) AS agreements
  FROM agreement_parties p
  JOIN agreements a ON a.id = p.agreement
  JOIN institutions i ON i.id = p.institution
  WHERE i.is_home = 0 AND a.status IN (SELECT value FROM json_each(:live_statuses))
  GROUP BY i.id
)"""
"""CTE ``live_partners``: every non-home institution party to a draft, negotiating, active
or suspended agreement (``live_statuses`` in the criteria), with those agreements as a JSON
array. Bind ``live_statuses`` with ``ctx.criterion('live_statuses')``."""

PARTNER_COUNTRIES = """
partner_countries AS (
  SELECT p.agreement, i.id AS institution, i.name, i.country
  FROM agreement_parties p JOIN institutions i ON i.id = p.institution
  WHERE i.is_home = 0
)"""
"""CTE ``partner_countries``: each agreement's non-home parties and their countries."""
