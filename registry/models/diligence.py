"""Due diligence: country indicators, state control, check runs, findings and waivers.

Country indicators are reference tables keyed by ISO 3166-1 alpha-2, one per source, each
row carrying its source, year and licence (``data/indicators/``, loaded by ``registry
indicators load``). Findings are what the checks in ``checks/`` found; a finding's id is its
fingerprint (check code and subject), so the same problem keeps one row across runs with the
dates it was first and last seen. Reviews (the decisions) are core records (``reviews``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints

from registry.models import limits
from registry.models.base import Record
from registry.models.core import NonEmpty, Text, Year
from registry.schema_types import Country, Indexed, Labelled, Ref, Slug, SqlRule, Url

Score = Annotated[float, Field(ge=0, le=1)]
Change = Annotated[float, Field(ge=-1, le=1)]
CheckCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2,3}[0-9]{2,3}$"), Indexed(), Field(description="check code, e.g. GRE01")
]


class Severity(Labelled):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"


class Family(Labelled):
    GRE = "GRE", "Responsible engagement"  # responsible engagement
    GDE = "GDE", "Strategic portfolio"  # strategic portfolio
    AP = "AP", "Action-plan goals"  # action-plan goals
    DQ = "DQ", "Data quality"  # data quality
    PL = "PL", "Clinical placements"  # clinical placements


class HdiGroup(Labelled):
    very_high = "very_high"
    high = "high"
    medium = "medium"
    low = "low"


class IncomeLevel(Labelled):
    high = "high"
    upper_middle = "upper_middle"
    lower_middle = "lower_middle"
    low = "low"
    not_classified = "not_classified"


class AdequacyScope(Labelled):
    full = "full"
    partial = "partial"


class MeasureKind(Labelled):
    arms_embargo = "arms_embargo"
    sectoral = "sectoral"
    targeted = "targeted"


class RiskTier(Labelled):
    high = "high"
    medium = "medium"
    low = "low"
    unknown = "unknown"


class FindingStatus(Labelled):
    open = "open"
    resolved = "resolved"


class _Sourced(Record):
    """Columns every indicator row carries: where the figure comes from and on what terms."""

    source: Annotated[NonEmpty, Field(description="publisher and dataset the figure comes from")]
    source_url: Url | None = None
    licence: Annotated[NonEmpty, Field(description="terms under which the figure may be reused")]


# --- country indicators -----------------------------------------------------------------


class CountryFreedom(_Sourced):
    """V-Dem Academic Freedom Index and Liberal Democracy Index of a country in its latest
    year, with the change over the five years before it (negative: declining)."""

    table: ClassVar[str] = "country_freedom"
    primary_key: ClassVar[tuple[str, ...]] = ("country",)

    country: Country
    year: Year
    academic_freedom: Annotated[Score, Field(description="Academic Freedom Index, 0 (none) to 1 (full)")]
    academic_freedom_band: Annotated[
        str, StringConstraints(pattern=r"^[A-E]$"), Field(description="AFi status band A (0.8-1) ... E (0-0.2)")
    ]
    academic_freedom_change_5y: Annotated[
        Change | None, Field(description="Academic Freedom Index now minus five years earlier")
    ] = None
    liberal_democracy: Annotated[Score | None, Field(description="Liberal Democracy Index, 0 to 1")] = None
    liberal_democracy_change_5y: Annotated[
        Change | None, Field(description="Liberal Democracy Index now minus five years earlier")
    ] = None


class CountryDevelopment(_Sourced):
    """UNDP Human Development Index of a country in its latest year, with UNDP's group."""

    table: ClassVar[str] = "country_development"
    primary_key: ClassVar[tuple[str, ...]] = ("country",)

    country: Country
    year: Year
    hdi: Annotated[Score, Field(description="Human Development Index, 0 to 1")]
    hdi_group: Annotated[HdiGroup, Indexed()]


class CountryClassification(_Sourced):
    """UN region and least-developed status (UN M49) and World Bank income level."""

    table: ClassVar[str] = "country_classifications"
    primary_key: ClassVar[tuple[str, ...]] = ("country",)

    country: Country
    year: Annotated[Year, Field(description="year of the classification as published")]
    name: NonEmpty
    un_region: Annotated[NonEmpty | None, Indexed()] = None
    un_subregion: NonEmpty | None = None
    least_developed: Annotated[bool, Field(description="on the UN list of least developed countries")] = False
    income_level: Annotated[IncomeLevel, Indexed()] = IncomeLevel.not_classified


class GdprAdequacy(_Sourced):
    """European Commission adequacy decisions (Article 45 GDPR): personal data may flow to
    the country without further safeguards, fully or only to the recipients named."""

    table: ClassVar[str] = "gdpr_adequacy"
    primary_key: ClassVar[tuple[str, ...]] = ("country",)

    country: Country
    year: Annotated[Year, Field(description="year of the decision")]
    scope: Annotated[AdequacyScope, Indexed()]
    scope_note: Annotated[Text | None, Field(description="which recipients a partial decision covers")] = None
    decision: Annotated[NonEmpty, Field(description="the decision as cited in the Official Journal")]
    decided_on: date
    status_note: Text | None = None


class EuRestrictiveMeasure(_Sourced):
    """EU sanctions regimes and arms embargoes that concern a country, by kind (arms
    embargo, sectoral measures, targeted listings), hand-compiled from the EU Sanctions Map."""

    table: ClassVar[str] = "eu_restrictive_measures"
    primary_key: ClassVar[tuple[str, ...]] = ("country", "regime", "kind")

    country: Country
    regime: Annotated[NonEmpty, Field(description="the regime as the EU Sanctions Map names it")]
    kind: Annotated[MeasureKind, Indexed()]
    legal_act: Annotated[NonEmpty, Field(description="the founding Council decision or regulation")]
    adopted_on: date | None = None
    year: Annotated[Year, Field(description="year the table was compiled")]
    note: Text | None = None


class CountryRisk(Record):
    """The risk tier of each country as of the last check run, derived from the indicators
    by the rules in data/criteria.yml, with the reasons. Rewritten by every run."""

    table: ClassVar[str] = "country_risk"
    primary_key: ClassVar[tuple[str, ...]] = ("country",)
    audited: ClassVar[bool] = False

    country: Country
    tier: Annotated[RiskTier, Indexed()]
    reasons: Annotated[list[str], Field(description="each rule that set the tier, in plain words")] = []
    as_of: date


# --- state control of partner institutions ----------------------------------------------


class StateControl(Record):
    """Whether a partner institution is owned or controlled by its state, as a reviewer
    recorded it with a source. Checks on EU sectoral measures read this; an agency counts
    as state-controlled without a row here."""

    table: ClassVar[str] = "state_control"
    primary_key: ClassVar[tuple[str, ...]] = ("institution",)

    institution: Annotated[Slug, Ref("institutions")]
    state_controlled: bool
    controlling_body: Annotated[
        NonEmpty | None, Field(description="the ministry, agency or party body that controls it")
    ] = None
    source: Annotated[NonEmpty, Field(description="where this was established")]
    source_url: Url | None = None
    recorded_on: date


# --- runs, findings, waivers ------------------------------------------------------------


class CheckRun(Record):
    """One run of the checks: when, as of which date, which checks, and what changed."""

    table: ClassVar[str] = "check_runs"
    label_column: ClassVar[str] = "started_at"

    id: Slug
    started_at: datetime
    seconds: Annotated[float, Field(ge=0)]
    as_of: Annotated[date, Field(description="the date the checks took as today")]
    actor: NonEmpty | None = None
    checks: Annotated[list[str], Field(description="codes of the checks that ran")]
    criteria_sha256: Annotated[str, Field(description="digest of the criteria file the run used")]
    found: Annotated[int, Field(ge=0, description="findings this run found")]
    new: Annotated[int, Field(ge=0, description="findings not open before this run")]
    resolved: Annotated[int, Field(ge=0, description="findings this run no longer found")]
    timings: Annotated[
        dict[str, float], Field(description="seconds each check took, by code (the next run starts the slowest first)")
    ] = {}


class Finding(Record):
    """What a check found on one record. The id is the fingerprint (code and subject), so a
    finding keeps its history across runs; it is resolved, never deleted, when a run no
    longer finds it. A finding under a waiver stays here, marked with the waiver. While a finding
    is open its last sighting is its check's latest run: findings_seen shows it."""

    table: ClassVar[str] = "findings"
    label_column: ClassVar[str] = "message"
    audited: ClassVar[bool] = False  # rewritten by every run; check_runs is its log

    id: Annotated[NonEmpty, Field(description="fingerprint: code:table:id")]
    code: CheckCode
    family: Family
    severity: Annotated[Severity, Indexed()]
    subject_table: NonEmpty
    subject_id: Annotated[NonEmpty, Indexed()]
    subject_label: NonEmpty | None = None
    message: Annotated[NonEmpty, Field(description="what was found, in plain words")]
    evidence: Annotated[dict[str, Any], Field(description="values compared, thresholds and their sources")] = {}
    # open_findings pages through open findings by severity, then code and subject (the id)
    status: Annotated[FindingStatus, Indexed(then=("severity", "id"))] = FindingStatus.open
    first_seen: date
    # While a finding is open, every run of its check finds it (a run resolves what it no longer
    # finds), so its last sighting is its check's latest run (check_latest_runs) and nothing is
    # written on it when a run finds it again unchanged: at a million agreements rewriting two
    # million findings' last_seen and last_run took 52 s of a 136 s rerun. The run that resolves
    # it writes the last run that found it. Read both through findings_seen (VIEWS, below).
    last_seen: Annotated[
        date | None, Field(description="the date of the last run that found it, once resolved (findings_seen has it always)")
    ] = None
    first_run: Annotated[Slug, Ref("check_runs")]
    # Not a reference: written when a finding is resolved, as last_seen is.
    last_run: Annotated[
        Slug | None, Field(description="the last check run that found it, once resolved (check_runs.id; findings_seen has it always)")
    ] = None
    resolved_on: date | None = None
    waiver: Annotated[
        Slug | None, Ref("waivers"), Field(description="the waiver in force at the last run, if any")
    ] = None


class CheckLatestRun(Record):
    """The latest run of each check: the run that last found each of its open findings."""

    table: ClassVar[str] = "check_latest_runs"
    primary_key: ClassVar[tuple[str, ...]] = ("code",)
    audited: ClassVar[bool] = False  # rewritten by every run; check_runs is its log

    code: CheckCode
    run: Annotated[Slug, Ref("check_runs")]
    as_of: Annotated[date, Field(description="the date the run took as today")]


class Waiver(Record):
    """A person's acceptance of one finding, with the reason, until a date. The finding
    stays visible, marked waived, and counts again once the waiver has ended."""

    table: ClassVar[str] = "waivers"
    ordered: ClassVar = (("granted_on", "until"),)
    rules: ClassVar = (
        SqlRule("{granted_on} <= registry_today()", "a waiver cannot be granted after today"),
        SqlRule(
            f"{{until}} <= date({{granted_on}}, '+{limits.waiver_years()} years')",
            f"a waiver runs at most {limits.waiver_years()} years from the day it is granted "
            "(data/criteria.yml waivers.at_most_years)",
        ),
    )

    id: Slug
    finding: Annotated[NonEmpty, Ref("findings"), Field(description="the finding's fingerprint")]
    reason: NonEmpty
    granted_on: date
    until: Annotated[date, Indexed()]
    granted_by: Annotated[NonEmpty | None, Field(description="the login that granted it")] = None


# Read models, collected by ``registry.views.all_views``. A finding's last sighting: the one
# written when it was resolved, or, while it is open, its check's latest run (the rule is told
# at Finding.last_seen). Every reader of last_seen or last_run reads it here.
VIEWS = {
    "findings_seen": """
SELECT f.id, f.code, f.family, f.severity, f.subject_table, f.subject_id, f.subject_label, f.message, f.evidence,
       f.status, f.first_seen, coalesce(f.last_seen, l.as_of) AS last_seen, f.first_run,
       coalesce(f.last_run, l.run) AS last_run, f.resolved_on, f.waiver
FROM findings f LEFT JOIN check_latest_runs l ON l.code = f.code""",
}
