"""The risk tier of every country, derived from the indicators by the criteria's rules.

A run rewrites ``country_risk`` before any check, so that "a high-risk country" means the
same thing in every check that asks, and a reviewer can read why a country has its tier.
"""

from __future__ import annotations

from checks.context import Context

_TIERS_SQL = """
WITH countries(country) AS (
  SELECT country FROM institutions
  UNION SELECT country FROM country_freedom
  UNION SELECT country FROM country_classifications
  UNION SELECT country FROM eu_restrictive_measures
),
reasons(country, tier, rank, reason) AS (
  SELECT country, 'high', 3, printf('Academic Freedom Index %.3f (%d) is below %s', academic_freedom, year, :high_afi)
    FROM country_freedom WHERE academic_freedom < :high_afi
  UNION ALL
  SELECT country, 'high', 3, 'EU ' || replace(kind, '_', ' ') || ': ' || regime
    FROM eu_restrictive_measures WHERE kind IN (SELECT value FROM json_each(:high_measures))
  UNION ALL
  SELECT s.value ->> 'country', 'high', 3, 'named as a state actor by ' || (
           SELECT group_concat(n.value, ' and ') FROM json_each(s.value -> 'named_by') n)
    FROM json_each(:state_actors) s WHERE :state_actor_is_high
  UNION ALL
  SELECT country, 'medium', 2, printf('Academic Freedom Index %.3f (%d) is below %s', academic_freedom, year, :medium_afi)
    FROM country_freedom WHERE academic_freedom >= :high_afi AND academic_freedom < :medium_afi
  UNION ALL
  SELECT country, 'medium', 2, printf('Liberal Democracy Index %.3f (%d) is below %s', liberal_democracy, year, :medium_ldi)
    FROM country_freedom WHERE liberal_democracy < :medium_ldi
  UNION ALL
  SELECT country, 'medium', 2, printf('Academic Freedom Index fell by %.3f over 5 years to %d', -academic_freedom_change_5y, year)
    FROM country_freedom WHERE academic_freedom_change_5y <= -:medium_decline
  UNION ALL
  SELECT country, 'medium', 2, 'EU ' || replace(kind, '_', ' ') || ': ' || regime
    FROM eu_restrictive_measures WHERE kind IN (SELECT value FROM json_each(:medium_measures))
)
INSERT INTO country_risk (country, tier, reasons, as_of)
SELECT c.country,
       CASE coalesce(max(r.rank), 0) WHEN 3 THEN 'high' WHEN 2 THEN 'medium'
         ELSE CASE WHEN EXISTS (SELECT 1 FROM country_freedom f WHERE f.country = c.country) THEN 'low' ELSE 'unknown' END
       END,
       CASE WHEN count(r.reason) = 0 THEN '[]'
         ELSE json_group_array(r.reason) FILTER (WHERE r.rank = (SELECT max(r2.rank) FROM reasons r2 WHERE r2.country = c.country))
       END,
       :today
FROM countries c LEFT JOIN reasons r ON r.country = c.country
WHERE c.country IS NOT NULL
GROUP BY c.country
"""


def refresh_country_risk(ctx: Context) -> None:
    """Rewrite ``country_risk`` from the indicators (inside the caller's transaction)."""
    high, medium = ctx.criterion("country_risk.high"), ctx.criterion("country_risk.medium")
    ctx.conn.execute("DELETE FROM country_risk")
    ctx.conn.execute(
        _TIERS_SQL,
        ctx.params(
            high_afi=high.get("academic_freedom_below", -1),
            high_measures=high.get("eu_measures", []),
            state_actor_is_high=1 if high.get("state_actor") else 0,
            state_actors=ctx.criterion("state_actors.countries"),
            medium_afi=medium.get("academic_freedom_below", -1),
            medium_ldi=medium.get("liberal_democracy_below", -1),
            medium_decline=medium.get("academic_freedom_decline_at_least", 2),
            medium_measures=medium.get("eu_measures", []),
        ),
    )
