"""Find a programme or partner by id or name; an unknown one names the closest ones."""

from __future__ import annotations

import sqlite_utils
from rapidfuzz import fuzz, process

from registry.problems import UnknownName as UnknownNameProblem
from registry.text import fold


class UnknownName(UnknownNameProblem):
    """No programme or institution has this id or name; the message names the closest ones.
    A usage problem: the ``registry`` command reports it as bad usage (exit 2), writing nothing."""


def _resolve(db: sqlite_utils.Database, kind: str, given: str, sql: str) -> str:
    rows = db.conn.execute(sql).fetchall()  # (id, label, other names joined by |)
    labels = {row[0]: row[1] for row in rows}
    if given in labels:
        return given
    wanted = fold(given)
    names = {row[0]: {fold(name) for name in [row[1], *(row[2] or "").split("|")] if name} for row in rows}
    exact = [key for key, folded in names.items() if wanted in folded]
    if len(exact) == 1:
        return exact[0]
    choices = {key: " ".join([key, *sorted(folded)]) for key, folded in names.items()}
    close = process.extract(wanted, choices, scorer=fuzz.WRatio, limit=3, score_cutoff=50)
    if not close:
        raise UnknownName(f"no {kind} {given!r} in the registry")
    hint = ", ".join(f"{key} ({labels[key]})" for _, _, key in close)
    raise UnknownName(f"no {kind} {given!r}; closest: {hint}")


def programme_id(db: sqlite_utils.Database, given: str) -> str:
    """The id of the programme ``given`` names (its id, English or Swedish name)."""
    return _resolve(
        db, "programme", given, "SELECT id, name_en, name_sv || '|' || coalesce(programme_code, '') FROM programmes"
    )


def partner_id(db: sqlite_utils.Database, given: str) -> str:
    """The id of the institution ``given`` names (its id or any of its names)."""
    return _resolve(
        db,
        "partner",
        given,
        "SELECT i.id, i.name, (SELECT group_concat(n.name, '|') FROM institution_names n "
        "WHERE n.institution = i.id) FROM institutions i",
    )
