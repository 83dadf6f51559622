"""Read models over several tables: one row per agreement, one row per partner.

Partners are the parties other than the home side: not the registry's own institution, and
not a party in the role 'home' (in municipal cooperation the city is the home side).

These are what people browse in Datasette and what canned queries start from, so their
column names are the words the office uses (partners, places_out, days_until_end).

A capability declares its own read models as ``VIEWS`` in its module of ``registry.models``
(see ``registry.models.placements``); ``all_views`` collects them after these, the core's.
"""

from __future__ import annotations

import importlib
import pkgutil

from registry import models

_PARTNERS = """(SELECT group_concat(i.name, '; ') FROM agreement_parties p JOIN institutions i ON i.id = p.institution
     WHERE p.agreement = a.id AND p.role <> 'home' AND i.is_home = 0)"""
_PARTNER_IDS = """(SELECT group_concat(p.institution, ' ') FROM agreement_parties p JOIN institutions i ON i.id = p.institution
     WHERE p.agreement = a.id AND p.role <> 'home' AND i.is_home = 0)"""
_COUNTRIES = """(SELECT group_concat(DISTINCT i.country) FROM agreement_parties p JOIN institutions i ON i.id = p.institution
     WHERE p.agreement = a.id AND p.role <> 'home' AND i.is_home = 0)"""
_PROGRAMMES = """(SELECT group_concat(g.name_en, '; ') FROM agreement_programmes ap JOIN programmes g ON g.id = ap.programme
     WHERE ap.agreement = a.id)"""
_PLACES = """(SELECT coalesce(sum(t.places_per_year), 0) FROM mobility_terms t
     WHERE t.agreement = a.id AND t.direction = '{direction}')"""

VIEWS = {
    "agreement_overview": f"""
SELECT
  a.id, a.title, a.kind, a.status,
  {_PARTNERS} AS partners,
  {_PARTNER_IDS} AS partner_ids,
  {_COUNTRIES} AS countries,
  {_PROGRAMMES} AS programmes,
  CASE WHEN EXISTS (SELECT 1 FROM mobility_terms t WHERE t.agreement = a.id AND t.category = 'staff_teaching')
    THEN 'yes' ELSE 'no' END AS teacher_mobility,
  {_PLACES.format(direction='outgoing')} AS places_out,
  {_PLACES.format(direction='incoming')} AS places_in,
  a.starts_on, a.ends_on,
  CAST(julianday(a.ends_on) - julianday(registry_today()) AS INTEGER) AS days_until_end,
  a.renewal, a.home_unit, a.coordinator, a.confidential
FROM agreements a""",
    "partner_overview": """
SELECT
  i.id, i.name, i.country, i.city, i.kind,
  (SELECT group_concat(coalesce(n.acronym, n.name), ', ') FROM memberships m JOIN networks n ON n.id = m.network
     WHERE m.institution = i.id AND m.until IS NULL) AS networks,
  (SELECT count(*) FROM agreement_parties p JOIN agreements a ON a.id = p.agreement
     WHERE p.institution = i.id AND a.status = 'active') AS active_agreements,
  (SELECT group_concat(DISTINCT a.kind) FROM agreement_parties p JOIN agreements a ON a.id = p.agreement
     WHERE p.institution = i.id AND a.status = 'active') AS agreement_kinds,
  i.website, i.ror, i.latitude, i.longitude
FROM institutions i
WHERE i.is_home = 0
  -- a home-side party (the city in municipal cooperation) is not a partner
  AND (NOT EXISTS (SELECT 1 FROM agreement_parties p WHERE p.institution = i.id AND p.role = 'home')
       OR EXISTS (SELECT 1 FROM agreement_parties p WHERE p.institution = i.id AND p.role <> 'home'))""",
}


def all_views() -> dict[str, str]:
    """Every view: the core's, then each ``registry.models`` module's ``VIEWS``, by module name."""
    collected = dict(VIEWS)
    for module_name in sorted(m.name for m in pkgutil.iter_modules(models.__path__)):
        declared: dict[str, str] = getattr(importlib.import_module(f"registry.models.{module_name}"), "VIEWS", {})
        for name, body in declared.items():
            if name in collected:
                raise ValueError(f"view {name!r} of registry.models.{module_name} is declared twice")
            collected[name] = body
    return collected


def create_views_sql() -> str:
    statements = []
    for name, body in all_views().items():
        statements.append(f'DROP VIEW IF EXISTS "{name}";')
        statements.append(f'CREATE VIEW "{name}" AS {body.strip()};')
    return "\n".join(statements)
