"""The health check finds every column that points at a stored file on the models' metadata
(core knows no domain), and its report says "error" whenever a needed part is down."""

from __future__ import annotations

import pytest

import portal.models  # noqa: F401  (register every model on the metadata)
from portal.core.extensions import db
from portal.core.files import stored_file_columns
from portal.core.health import NOT_CONFIGURED, OK, UNAVAILABLE, Health

# Columns named like a key that hold something else than a file store key.
NOT_FILE_KEYS = {("attachments", "document_key"), ("supervision_slips", "cause_key")}


def test_the_stored_file_columns_of_every_kind_are_found():
    found = {(table.name, column.name) for table, column in stored_file_columns()}
    assert {
        ("attachments", "storage_key"),
        ("letters", "pdf_key"),
        ("letters", "pdf_en_key"),
        ("letter_exports", "file_key"),
        ("publicity_notices", "pdf_key"),
        ("post_award_documents", "pdf_en_key"),
        ("progress_report_files", "storage_key"),
        ("recovery_files", "storage_key"),
    } <= found


def test_no_key_column_is_left_unclassified():
    """A new column holding a file key under another name would escape the check: name it
    one of ``STORED_FILE_COLUMNS``, or list it here when it is not a file key."""
    found = {(table.name, column.name) for table, column in stored_file_columns()}
    key_columns = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("key")
    }
    assert key_columns - NOT_FILE_KEYS == found


@pytest.mark.parametrize(
    ("parts", "status"),
    [
        ((OK, OK, OK), "ok"),
        ((OK, NOT_CONFIGURED, OK), "ok"),
        ((UNAVAILABLE, OK, OK), "error"),
        ((OK, UNAVAILABLE, OK), "error"),
        ((OK, NOT_CONFIGURED, UNAVAILABLE), "error"),
    ],
)
def test_the_status_is_an_error_when_any_needed_part_is_down(parts, status):
    health = Health(*parts)
    assert health.as_json()["status"] == status
    assert health.healthy is (status == "ok")
