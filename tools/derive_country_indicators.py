"""Derive the compact country indicator tables in data/indicators/ from the reference dumps.

    python tools/derive_country_indicators.py [--reference ../shared/reference] [--out data/indicators]

Reads (never copies) the V-Dem, UNDP HDI, country-classification and GDPR-adequacy files
under the reference folder and writes one small CSV per table, keyed by ISO 3166-1 alpha-2,
each row with its source, year and licence. ``eu_restrictive_measures.csv`` is compiled by
hand and not touched here. Run it again when a newer dump is placed in the reference folder.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
DEFAULT_OUT = ROOT / "data" / "indicators"
TREND_YEARS = 5

VDEM = {
    "file": "vdem-academic-freedom/vdem_afi_libdem_1993_2022.csv",
    "source": "V-Dem Institute, Country-Year dataset: Academic Freedom Index (v2xca_academ) and "
              "Liberal Democracy Index (v2x_libdem), via the vdemdata R package",
    "source_url": "https://www.v-dem.net/data/the-v-dem-dataset/",
    "licence": "CC BY 4.0; cite Coppedge et al., V-Dem Country-Year Dataset, and the Academic Freedom Index project",
}
HDI = {
    "file": "undp-hdi/HDR23-24_Composite_indices_complete_time_series.csv",
    "source": "UNDP Human Development Report 2023/2024, composite indices time series",
    "source_url": "https://hdr.undp.org/data-center/documentation-and-downloads",
    "licence": "CC BY 3.0 IGO; cite UNDP (2024), Human Development Report 2023/2024",
}
CLASSIFICATIONS = {
    "file": "country-classifications/bblocks_places_concordance.csv",
    "source": "UN M49 regions and LDC list (UN Statistics Division) and World Bank income groups, as bundled in bblocks-places 0.0.6 (ONE Campaign)",
    "source_url": "https://unstats.un.org/unsd/methodology/m49/",
    "licence": "MIT (bblocks-places, ONE Campaign 2025); World Bank income groups CC BY 4.0",
    "year": 2025,
}
GDPR = {
    "file": "gdpr-adequacy/gdpr_adequacy_decisions.csv",
    "source": "European Commission adequacy decisions (Art. 45 GDPR), hand-compiled 2026-11-21 from the decisions cited; verify before relying on it",
    "source_url": "https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en",
    "licence": "CC0 (facts compiled from the Official Journal)",
}
HDI_GROUPS = {"Very High": "very_high", "High": "high", "Medium": "medium", "Low": "low"}
INCOME_LEVELS = {
    "High income": "high",
    "Upper middle income": "upper_middle",
    "Lower middle income": "lower_middle",
    "Low income": "low",
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    rows = sorted(rows, key=lambda row: [str(row.get(c, "")) for c in columns[:3]])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: ("" if row.get(c) is None else row[c]) for c in columns} for row in rows)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(rows)} rows", file=sys.stderr)


# The concordance was written by pandas, which reads Namibia's code "NA" as missing.
ALPHA2_OVERRIDES = {"NAM": "NA"}


def _iso2(row: dict[str, str]) -> str:
    return row["iso2_code"] or ALPHA2_OVERRIDES.get(row["iso3_code"], "")


def _alpha2_by_alpha3(reference: Path) -> dict[str, str]:
    return {
        row["iso3_code"]: _iso2(row)
        for row in _read_csv(reference / CLASSIFICATIONS["file"])
        if row["iso3_code"] and _iso2(row)
    }


def _band(score: float, bands: dict[str, float]) -> str:
    for letter, lower in sorted(bands.items(), key=lambda item: -item[1]):
        if score >= lower:
            return letter
    return min(bands)


def derive_freedom(reference: Path, alpha2: dict[str, str], bands: dict[str, float]) -> list[dict]:
    series: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
    for row in _read_csv(reference / VDEM["file"]):
        series[row["country_text_id"]][int(row["year"])] = row
    rows = []
    for iso3, years in series.items():
        if iso3 not in alpha2:
            raise SystemExit(f"V-Dem code {iso3} has no ISO alpha-2 in the concordance: add it to an override map")
        latest = max(year for year, row in years.items() if row["v2xca_academ"])
        now, before = years[latest], years.get(latest - TREND_YEARS, {})

        def change(column: str, now: dict = now, before: dict = before) -> str | None:
            if now.get(column) and before.get(column):
                return f"{float(now[column]) - float(before[column]):.3f}"
            return None

        academic = float(now["v2xca_academ"])
        rows.append(
            {
                "country": alpha2[iso3],
                "year": latest,
                "academic_freedom": f"{academic:.3f}",
                "academic_freedom_band": _band(academic, bands),
                "academic_freedom_change_5y": change("v2xca_academ"),
                "liberal_democracy": now["v2x_libdem"] or None,
                "liberal_democracy_change_5y": change("v2x_libdem"),
                **{key: VDEM[key] for key in ("source", "source_url", "licence")},
            }
        )
    return rows


def derive_development(reference: Path, alpha2: dict[str, str]) -> list[dict]:
    rows = []
    for row in _read_csv(reference / HDI["file"]):
        iso3 = row["iso3"]
        if iso3.startswith("ZZ") or not row.get("hdicode"):
            continue
        if iso3 not in alpha2:
            raise SystemExit(f"UNDP code {iso3} has no ISO alpha-2 in the concordance: add it to an override map")
        years = [int(column[4:]) for column, value in row.items() if column.startswith("hdi_") and column[4:].isdigit() and value]
        if not years:
            continue
        latest = max(years)
        rows.append(
            {
                "country": alpha2[iso3],
                "year": latest,
                "hdi": f"{float(row[f'hdi_{latest}']):.3f}",
                "hdi_group": HDI_GROUPS[row["hdicode"]],
                **{key: HDI[key] for key in ("source", "source_url", "licence")},
            }
        )
    return rows


def derive_classifications(reference: Path) -> list[dict]:
    rows = []
    for row in _read_csv(reference / CLASSIFICATIONS["file"]):
        if not _iso2(row):
            continue
        rows.append(
            {
                "country": _iso2(row),
                "year": CLASSIFICATIONS["year"],
                "name": row["name_short"] or row["name_official"],
                "un_region": row["region"] or None,
                "un_subregion": row["subregion"] or None,
                "least_developed": "true" if row["ldc"] == "True" else "false",
                "income_level": INCOME_LEVELS.get(row["income_level"], "not_classified"),
                **{key: CLASSIFICATIONS[key] for key in ("source", "source_url", "licence")},
            }
        )
    return rows


def derive_gdpr(reference: Path) -> list[dict]:
    rows = []
    for row in _read_csv(reference / GDPR["file"]):
        if row["kind"] == "international_organisation":  # not a country: no ISO code to key it by
            continue
        scope, _, note = row["scope"].partition(":")
        full = scope.strip().startswith("full")
        rows.append(
            {
                "country": row["destination_code"],
                "year": row["decision_date"][:4],
                "scope": "full" if full else "partial",
                "scope_note": (note.strip() or None) if not full else (row["scope"][4:].strip(" ()") or None),
                "decision": row["decision_reference"],
                "decided_on": row["decision_date"],
                "status_note": row["status_note"] or None,
                **{key: GDPR[key] for key in ("source", "source_url", "licence")},
            }
        )
    return rows


COLUMNS = {
    "country_freedom": ["country", "year", "academic_freedom", "academic_freedom_band", "academic_freedom_change_5y",
                        "liberal_democracy", "liberal_democracy_change_5y", "source", "source_url", "licence"],
    "country_development": ["country", "year", "hdi", "hdi_group", "source", "source_url", "licence"],
    "country_classifications": ["country", "year", "name", "un_region", "un_subregion", "least_developed",
                                "income_level", "source", "source_url", "licence"],
    "gdpr_adequacy": ["country", "year", "scope", "scope_note", "decision", "decided_on", "status_note",
                      "source", "source_url", "licence"],
}


def derive(reference: Path, out: Path) -> None:
    criteria = yaml.safe_load((ROOT / "data" / "criteria.yml").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    alpha2 = _alpha2_by_alpha3(reference)
    tables = {
        "country_freedom": derive_freedom(reference, alpha2, criteria["academic_freedom"]["bands"]),
        "country_development": derive_development(reference, alpha2),
        "country_classifications": derive_classifications(reference),
        "gdpr_adequacy": derive_gdpr(reference),
    }
    for table, rows in tables.items():
        _write_csv(out / f"{table}.csv", rows, COLUMNS[table])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="the reference dumps folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.reference.is_dir():
        raise SystemExit(f"no reference folder at {args.reference}: pass --reference")
    derive(args.reference, args.out)


if __name__ == "__main__":
    main()
