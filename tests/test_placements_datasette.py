"""Placements and the opportunity catalogue in Datasette: canned queries and facets, through
Datasette's own test client."""

from __future__ import annotations

import json

import pytest
from conftest import datasette_get
from placements_portfolio import ROUND, portfolio_file


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    return portfolio_file(tmp_path_factory.mktemp("served-placements") / "registry.db")


def rows(served, path):
    response = datasette_get(served, path)
    assert response.status_code == 200, response.text
    return response.json()


def test_placement_capacity_shows_offered_allocated_and_free_per_clinic_and_period(served):
    found = rows(served, f"/registry/placement_capacity.json?round={ROUND}&_shape=array")
    assert [(r["host"], r["period"], r["offered"], r["allocated"], r["free"]) for r in found] == [
        ("cardiology", "p-past", 2, 2, 0),
        ("cardiology", "p-soon", 1, 2, -1),
        ("cardiology", "p-later", 2, 1, 1),
        ("paediatrics", "p-soon", 2, 1, 1),
    ]
    assert found[0]["institution"] == "Skåne University Hospital"
    assert rows(served, "/registry/placement_capacity.json?round=no-such-round&_shape=array") == []


def test_opportunities_query_finds_a_programme_by_id_or_by_name(served):
    by_id = rows(served, "/registry/opportunities.json?programme=medicine&_shape=array")
    assert [(o["id"], o["study_year"], o["kind"], o["weeks"]) for o in by_id] == [
        ("med-exchange", 5, "courses", "18-20 weeks"),
        ("med-elective", 6, "elective", "10 weeks"),
    ]
    assert [o["id"] for o in rows(served, "/registry/opportunities.json?programme=Biomedicin&_shape=array")] == [
        "bmed-online", "bmed-research"]
    assert len(rows(served, "/registry/opportunities.json?programme=edicin&_shape=array")) == 4
    assert json.loads(by_id[0]["countries"]) == ["BE"] and by_id[0]["destinations"] == "KU Leuven"


def test_catalogue_facets_by_programme_kind_duration_and_country(served):
    page = rows(served, "/registry/opportunity_catalogue.json")
    facets = page["facet_results"]
    assert {f["value"]: f["count"] for f in facets["programme"]["results"]} == {"Biomedicine": 2, "Medicine": 2}
    assert {f["value"] for f in facets["kind"]["results"]} == {"courses", "elective", "research_internship", "online_course"}
    assert {f["value"]: f["count"] for f in facets["duration"]["results"]} == {
        "up to 4 weeks": 1, "5-12 weeks": 1, "13-20 weeks": 1, "over 20 weeks": 1}
    assert {f["value"]: f["count"] for f in facets["countries"]["results"]} == {"BE": 3, "DE": 1, "SE": 1}
    belgium = rows(served, "/registry/opportunity_catalogue.json?_facet_array=countries&countries__arraycontains=BE&_shape=array")
    assert sorted(o["id"] for o in belgium) == ["bmed-research", "med-elective", "med-exchange"]


def test_municipal_cooperation_lists_municipal_parties_and_leaves_out_confidential_ones(served):
    found = rows(served, "/registry/municipal_cooperation.json?_shape=array")
    assert [(a["id"], a["kind"], a["countries"]) for a in found] == [("lund-hangzhou", "municipal_cooperation", "CN,SE")]
    assert found[0]["parties"] == "City of Lund (SE); City of Hangzhou (CN)"


def test_round_overview_counts_places_applicants_and_allocations(served):
    (overview,) = rows(served, "/registry/placement_round_overview.json?_shape=array")
    assert (overview["periods"], overview["hosts_offering"], overview["places_offered"]) == (4, 2, 7)
    assert (overview["applicants"], overview["allocated"]) == (7, 6)


def test_placement_tables_carry_their_model_descriptions(served):
    metadata = datasette_get(served, "/-/metadata.json").json()
    tables = metadata["databases"]["registry"]["tables"]
    assert "reference code" in tables["incoming_placements"]["description"]
    assert "never a name" in tables["incoming_placements"]["columns"]["id"]
