"""The registry's schema versions, oldest first: one fingerprint of the whole schema each.

A file records its version in ``PRAGMA user_version`` (0: made before versions were recorded,
by the releases up to 2026-12-05). The fingerprint is a hash of every statement the models
and the store derive (tables, CHECKs, foreign keys, indexes, triggers, search, views), so any
change to a model changes it; tests/test_migrations.py fails until the new fingerprint is
appended here, which makes the new version. ``registry migrate`` brings a file of any earlier
version to this one; every other command refuses an earlier or later file.
"""

SCHEMA_FINGERPRINTS: tuple[str, ...] = (
    # 1 (2026-12): the first recorded version. Since 2026-12-05 (schema 0): agreements.agreement_code,
    # ewp_iia_conditions.lexical, accounts and login sessions, the action-plan records, reminders sent,
    # and triggers that hold raw SQL writes to the models' rules
    "8b6bc9f3cc879ede33a7e69ddfe0282ad601b55c88103f84086b5527c3dfb781",
    # 2 (2026-12): signed agreement documents (agreement_documents, agreement_document_contents);
    # labels (codes in words, search words); institutions.medical_faculty and medical_faculty_source;
    # search finds by country names, networks, kinds, subjects (topics columns)
    "069d3ecf461da09061a9cc9cde9ce445756bd114091bc839dd12250dcc319d7e",
    # 3 (2026-12): agreements indexed by (status, ends_on, id) and (kind, title, id), so that the
    # lists of active agreements by end date and of Erasmus IIAs by title read a page in index order
    # (at a million agreements each page sorted every row)
    "1f9608d9c33a1badc6d472f3a5a58d2b46b1b7b7774d5814fc9ae95b7974fed6",
    # 4 (2026-12, branch serve3): the index on agreements (status, ends_on, id) also holds kind, so the
    # lists of active mobility agreements (teacher_mobility_gaps, unused_agreements) tell an agreement's
    # kind from the index instead of reading its row (6.4 -> 3.8 and 7.4 -> 4.8 ms a page at 200,000)
    "2e67fd552daba6f39ef4ae47201dd135f948580427bf99c58179332c8f95e6fe",
    # 5 (2026-12, branch checks12): check_latest_runs (each check's latest run) and the findings_seen view;
    # findings.last_seen and last_run are written when a finding is resolved, not by every run that finds
    # it again (a rerun at a million agreements rewrote two million findings); migrating fills the first
    # from check_runs and leaves open findings' last sighting to it
    "b450c004e7d2f9b25e838860500c03a58024b4af3f3263ed9edd62dcf6f801a9",
    # 6 (2026-12, branch checks14): a partial index of the virtual or blended mobility terms by agreement
    # (Indexed(where=...)), so that AP03 reads those terms only (it read every term of every programme's
    # agreements); migrating only makes the index
    "e1855df93cb200920b335b49381f8d72eee2633a0a3d315b403f327a5cb2088a",
    # 7 (2026-12, branch publish6): search triggers on institution_names refresh the partners' names of
    # the institution's agreements (a name added after its agreements was never searchable in them), and
    # triggers on labels refresh the topics that read a changed word; so the registry's search rows are
    # always what a rebuild would make, and `registry publish` takes the agreements' rows from them; an
    # agreement's row made by a trigger lists its partners' networks partner by partner, as a rebuild
    # does (one IN list listed them in the order the plan met the memberships). Migrating rebuilds the
    # search index (its triggers differ)
    "ad6fd0a63366eb061dc77f122ebf209368aac13d7a8b8d4298ab30afe8fb049a",
)

SCHEMA_VERSION = len(SCHEMA_FINGERPRINTS)
