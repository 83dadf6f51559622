"""The words a form shows for a field's name and for the codes it offers.

English, as every message of the registry is written; the page's language translates them
(``registry.i18n``). A code or a field name with no entry here is said as its words
(``approved_with_conditions``: "Approved with conditions")."""

from __future__ import annotations

# Field names whose words are not the name's own.
LABELS = {
    "ends_on": "End date",
    "starts_on": "Start date",
    "signed_on": "Signed on",
    "notice_months": "Notice period (months)",
    "exit_clause": "Exit clause",
    "home_unit": "Home unit",
    "document_url": "Link to the document",
    "agreement_code": "Agreement code",
    "ewp_iia_id": "EWP IIA id",
    "personal_data": "Moves personal or health data",
    "equitable_terms": "Equitable terms",
    "places_per_year": "Places per year",
    "months_per_place": "Months per place",
    "days_per_place": "Days per place",
    "first_academic_year": "First academic year",
    "last_academic_year": "Last academic year",
    "eqf_levels": "EQF levels",
    "subject_areas": "Subject areas (ISCED-F codes)",
    "language_skills": "Language skills",
    "other_terms": "Other terms",
    "next_review_due": "Next review due",
    "reviewed_on": "Reviewed on",
    "military_or_security_links": "Military or security links",
    "funding_transparent": "Funding transparent",
    "export_control_assessed": "Export control assessed",
    "until": "Until",
    "local_name": "Local name",
    "erasmus_code": "Erasmus code",
    "schac": "SCHAC code",
    "pic": "PIC",
    "ror": "ROR id",
    "partner": "Partner",
    "partner_unit": "Partner's unit",
}

# Codes whose words are not the code's own.
CODES = {
    "erasmus_iia": "Erasmus+ inter-institutional agreement",
    "framework_mou": "Framework memorandum of understanding",
    "joint_phd": "Joint PhD",
    "by_agreement": "By agreement",
    "not_applicable": "Not applicable",
    "student_studies": "Student studies",
    "student_traineeship": "Student traineeship",
    "staff_teaching": "Staff teaching",
    "staff_training": "Staff training",
}


def said(code: str) -> str:
    """``approved_with_conditions`` as "Approved with conditions"."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(name: str) -> str:
    return LABELS.get(name) or said(name)


def code_words(code: str) -> str:
    return CODES.get(code) or said(code)
