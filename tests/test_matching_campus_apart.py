"""A campus written after a name without a comma ('Yarrowfield University Quenby Campus'): where the text as typed
finds no answer, the campus is set apart as a comma would set it, where its words are the institution's city, region
or country and no other candidate's name carries them. Measured against an invented reference (no real institution or person)."""

from __future__ import annotations

import pytest
from conftest import invented_reference, ordinary_institutions, ror_record

from registry.matching.text import campus_set_apart
from registry.resolve import resolve


@invented_reference
def registry():
    return [
        ror_record("0camp0001", "Yarrowfield University", "Quenby", "NZ"),
        ror_record("0camp0002", "Tarnholt University", "Velloran", "NZ"),
        ror_record("0camp0003", "Tarnholt University Dunmere", "Dunmere", "NZ"),
        ror_record("0camp0004", "Oskvale University", "Harwick", "NZ"),
        ror_record("0camp0005", "Brannoch College", "Dunmere", "NZ"),
        ror_record("0camp0006", "Velmont University of Health", "Velmont", "NZ", acronym="VUH"),
        *ordinary_institutions("0camp"),
    ]


@pytest.mark.parametrize("text, expected", [
    ("Yarrowfield University Quenby Campus", "0camp0001"),  # its city
    ("Yarrowfield University Main Campus", "0camp0001"),
    ("Yarrowfield University Quenby North Campus", "0camp0001"),  # and a compass word
    ("Yarrowfield University Campus Quenby", "0camp0001"),  # the campus word first
])
def test_a_campus_after_a_name_without_a_comma_is_its_place(registry, text, expected):
    result = resolve(registry, text, "NZ")
    assert result.status == "matched" and result.best.reference_id == expected, (result.reason, [
        (c.name, c.score) for c in result.candidates])


@pytest.mark.parametrize("text, wrong", [
    # a town of another institution's: not known as a place of this one
    ("Yarrowfield University Harwick Campus", "0camp0001"),
    # the word after the kind word is another institution's name: no campus of the university it follows
    ("Tarnholt University Dunmere Main Campus", "0camp0002"),
])
def test_a_word_another_name_carries_or_another_town_is_not_read_as_the_campus(registry, text, wrong):
    result = resolve(registry, text, "NZ")
    assert not (result.status == "matched" and result.best.reference_id == wrong), result.reason


def test_the_campus_is_set_apart_after_the_last_kind_word_and_never_past_a_function_word():
    assert campus_set_apart("Yarrowfield University Quenby Campus") == "yarrowfield university, quenby campus"
    assert campus_set_apart("Yarrowfield University Campus Quenby") == "yarrowfield university, campus quenby"
    assert campus_set_apart("University of Quenby Campus") is None  # 'of' carries the name on
    assert campus_set_apart("Quenby Multiple Campus") is None  # no kind word before it: the campus is the name
    assert campus_set_apart("Yarrowfield University, Quenby Campus") is None  # set apart as typed


@pytest.mark.parametrize("text, read", [
    ("Velmont University of Health (VUH)", "vuh read as its acronym"),
    ("Velmont University of Health, Velmont", "velmont read as its place"),
    ("Velmont University of Health (VUH), Velmont", "vuh read as its acronym; velmont read as its place"),
])
def test_the_answer_says_what_the_words_set_apart_were_read_as(registry, text, read):
    result = resolve(registry, text, "NZ")
    assert result.status == "matched" and result.best.reference_id == "0camp0006", result.reason
    assert result.best.reason.endswith(read), result.best.reason
