"""The questions Swedish and EU guidance on responsible internationalisation asks of a partner,
and which of them the registry's record does not answer yet.

Each question names its sources; ``unanswered`` reads a dossier's facts (``dossier.gather``) and
returns the questions still open, with what would answer them. The wording is ours, summarising
the guidance; the sources say where to read it in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

EU_RESEARCH_SECURITY = "Council Recommendation of 23 May 2024 on enhancing research security (C/2024/3510)"
EU_INTERFERENCE = "European Commission, Tackling R&I foreign interference, staff working document SWD(2022) 12"
STINT = (
    "STINT, Responsible internationalisation: guidelines for reflection on international academic collaboration (2020)"
)
PLAN_GRE = "Action plan for internationalisation 2025-2027, Faculty of Medicine, Lund University: GRE and GSE"
DUAL_USE = "Regulation (EU) 2021/821 (dual-use items)"
GDPR = "Regulation (EU) 2016/679 (GDPR), Articles 44-49"


@dataclass(frozen=True)
class Question:
    key: str
    en: str
    sv: str
    sources: tuple[str, ...]
    missing: Callable[[dict[str, Any], date], str | None]  # what is missing, or None when answered

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


def _latest_answer(dossier: dict[str, Any], field: str) -> str | None:
    for review in dossier["reviews"]:  # newest first
        if review.get(field):
            return review[field]
    return None


def _review_answer(field: str) -> Callable[[dict[str, Any], date], str | None]:
    def missing(dossier: dict[str, Any], today: date) -> str | None:
        answer = _latest_answer(dossier, field)
        if answer in ("yes", "no", "not_applicable"):
            return None
        return f"reviews.{field} is {answer or 'not recorded'}"

    return missing


def _live(dossier: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in dossier["agreements"] if a["status"] in ("draft", "negotiating", "active", "suspended")]


def _identity(dossier: dict[str, Any], today: date) -> str | None:
    institution = dossier["institution"]
    absent = [name for name in ("ror", "pic", "website") if not institution.get(name)]
    return f"no {', '.join(absent)} recorded" if absent else None


def _state_control(dossier: dict[str, Any], today: date) -> str | None:
    if dossier["state_control"] or dossier["institution"]["kind"] == "agency":
        return None
    return "state_control has no row for this institution"


def _current_review(dossier: dict[str, Any], today: date) -> str | None:
    if not dossier["reviews"]:
        return "no review recorded"
    latest = dossier["reviews"][0]
    if latest["next_review_due"] and latest["next_review_due"] < today.isoformat():
        return f"the latest review ({latest['reviewed_on']}) was due again on {latest['next_review_due']}"
    return None


def _export_control(dossier: dict[str, Any], today: date) -> str | None:
    if not dossier["sensitive"]:
        return None
    answer = _latest_answer(dossier, "export_control_assessed")
    if answer == "yes":
        return None
    agreements = len({s["agreement"] for s in dossier["sensitive"]})
    return f"sensitive subjects in {agreements} agreement(s); export_control_assessed is {answer or 'not recorded'}"


def _screening_decided(dossier: dict[str, Any], today: date) -> str | None:
    open_matches = [m for m in dossier["screening"] if m["current"] and not m["decision"]]
    return f"{len(open_matches)} current screening match(es) without a decision" if open_matches else None


def _personal_data(dossier: dict[str, Any], today: date) -> str | None:
    moving = [a["id"] for a in _live(dossier) if a["personal_data"]]
    gdpr = dossier["indicators"]["gdpr"]
    if not moving or dossier["indicators"]["eea"] or (gdpr and gdpr["scope"] == "full"):
        return None
    return f"personal data in {', '.join(moving)} and no full adequacy decision: record the Article 46 safeguard"


def _exit(dossier: dict[str, Any], today: date) -> str | None:
    lacking = [a["id"] for a in _live(dossier) if not a["exit_clause"] and a["notice_months"] is None]
    return f"no exit clause or notice period in {', '.join(lacking)}" if lacking else None


QUESTIONS = (
    Question(
        "identity",
        "Is the partner's legal identity established (ROR, PIC, website)?",
        "Är partnerns juridiska identitet fastställd (ROR, PIC, webbplats)?",
        (EU_RESEARCH_SECURITY, STINT),
        _identity,
    ),
    Question(
        "state_control",
        "Is the partner owned or controlled by its state, and by which body?",
        "Ägs eller kontrolleras partnern av staten, och av vilket organ?",
        (EU_RESEARCH_SECURITY, EU_INTERFERENCE),
        _state_control,
    ),
    Question(
        "military",
        "Does the partner have links to military, security or defence bodies?",
        "Har partnern kopplingar till militär, säkerhetstjänst eller försvarsindustri?",
        (EU_RESEARCH_SECURITY, EU_INTERFERENCE, STINT),
        _review_answer("military_or_security_links"),
    ),
    Question(
        "funding",
        "Is the partner's funding, and the cooperation's, transparent?",
        "Är partnerns och samarbetets finansiering transparent?",
        (EU_INTERFERENCE, STINT),
        _review_answer("funding_transparent"),
    ),
    Question(
        "export_control",
        "Has an export-control assessment been made of the subjects that may have military use?",
        "Har en exportkontrollbedömning gjorts av ämnen som kan ha militär användning?",
        (DUAL_USE, EU_RESEARCH_SECURITY),
        _export_control,
    ),
    Question(
        "screening",
        "Has each match against a risk or sanctions list been decided (same organisation or not)?",
        "Är varje träff mot en risk- eller sanktionslista avgjord (samma organisation eller inte)?",
        (EU_RESEARCH_SECURITY,),
        _screening_decided,
    ),
    Question(
        "equitable",
        "Are the terms equitable for both sides?",
        "Är villkoren rättvisa för båda parter?",
        (PLAN_GRE, STINT),
        _review_answer("equitable_terms"),
    ),
    Question(
        "review",
        "Is there a current due-diligence decision on the partner?",
        "Finns ett aktuellt beslut efter granskning av partnern?",
        (PLAN_GRE, STINT),
        _current_review,
    ),
    Question(
        "personal_data",
        "Is personal or health data moved to the partner protected by an adequacy decision or safeguard?",
        "Skyddas personuppgifter och hälsodata som förs till partnern av ett adekvansbeslut eller skyddsåtgärd?",
        (GDPR,),
        _personal_data,
    ),
    Question(
        "exit",
        "Can the university leave the cooperation if circumstances change (exit clause, notice)?",
        "Kan universitetet lämna samarbetet om förutsättningarna ändras (utträdesklausul, uppsägning)?",
        (STINT, PLAN_GRE),
        _exit,
    ),
)


def unanswered(dossier: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The questions the record leaves open, each with what is missing and its sources."""
    found = []
    for question in QUESTIONS:
        missing = question.missing(dossier, today)
        if missing:
            found.append(
                {
                    "key": question.key,
                    "en": question.en,
                    "sv": question.sv,
                    "missing": missing,
                    "sources": list(question.sources),
                }
            )
    return found
