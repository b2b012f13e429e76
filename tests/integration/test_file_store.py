"""LocalFileStore keeps files under generated keys inside its root; download names are safe."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime

import pytest
from flask import Flask

from portal.core.files import FileStore, LocalFileStore, file_store, safe_download_name

KEY_PATTERN = re.compile(r"\A\d{4}/\d{2}/[0-9a-f]{32}\Z")


@pytest.fixture
def store(tmp_path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


def test_round_trip(store, tmp_path):
    key = store.save(b"%PDF-1.7 content")
    assert store.exists(key)
    assert store.read(key) == b"%PDF-1.7 content"
    with store.open(key) as handle:
        assert handle.read() == b"%PDF-1.7 content"
    assert (tmp_path / "files" / key).read_bytes() == b"%PDF-1.7 content"
    store.delete(key)
    assert not store.exists(key)
    assert not (tmp_path / "files" / key).exists()
    store.delete(key)  # already gone: not an error
    with pytest.raises(FileNotFoundError):
        store.read(key)


def test_key_format_uses_the_utc_date(store):
    before = datetime.now(UTC)
    key = store.save(b"x")
    after = datetime.now(UTC)
    assert KEY_PATTERN.match(key), key
    assert key[:7] in {f"{before:%Y/%m}", f"{after:%Y/%m}"}


def test_identical_content_gets_different_keys(store):
    first, second = store.save(b"same"), store.save(b"same")
    assert first != second
    assert store.read(first) == store.read(second) == b"same"


def test_files_are_written_for_the_owner_only_and_no_temp_files_left(store, tmp_path):
    key = store.save(b"data")
    path = tmp_path / "files" / key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # not group-readable (issue 12, item 10)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_failed_write_leaves_nothing_behind(store, tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("portal.core.files.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(b"data")
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


def test_empty_content_round_trips(store):
    key = store.save(b"")
    assert store.exists(key)
    assert store.read(key) == b""


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "a\\b",
        "2026/01/../../../etc/passwd",
        "2026\\01\\" + "a" * 32,
        "/2026/01/" + "a" * 32,
        "2026/01/" + "A" * 32,
        "2026/13/" + "a" * 32,
        "2026/01/" + "a" * 32 + "\n",
        "2026/01/" + "a" * 31,
        "",
    ],
)
@pytest.mark.parametrize("method", ["open", "read", "exists", "delete"])
def test_keys_outside_the_pattern_are_refused(store, key, method):
    with pytest.raises(ValueError, match="not a storage key"):
        getattr(store, method)(key)


def test_traversal_cannot_reach_a_file_outside_the_root(store, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    with pytest.raises(ValueError):
        store.read("../secret.txt")
    assert secret.exists()
    with pytest.raises(ValueError):
        store.delete("../secret.txt")
    assert secret.read_bytes() == b"secret"


def test_local_store_satisfies_the_interface(store):
    assert isinstance(store, FileStore)


def test_file_store_is_one_per_app(tmp_path):
    app = Flask(__name__)
    app.config["FILES_DIR"] = str(tmp_path / "uploads")
    with app.app_context():
        first = file_store()
        assert isinstance(first, LocalFileStore)
        assert first.root == tmp_path / "uploads"
        assert file_store() is first
        key = first.save(b"abc")
    assert (tmp_path / "uploads" / key).read_bytes() == b"abc"

    other = Flask(__name__)
    other.config["FILES_DIR"] = str(tmp_path / "other")
    with other.app_context():
        assert file_store() is not first


def test_file_store_can_be_replaced(tmp_path):
    class MemoryStore:
        def __init__(self):
            self.blobs: dict[str, bytes] = {}

        def save(self, data):
            key = f"k{len(self.blobs)}"
            self.blobs[key] = data
            return key

        def open(self, key):
            raise NotImplementedError

        def read(self, key):
            return self.blobs[key]

        def delete(self, key):
            self.blobs.pop(key, None)

        def exists(self, key):
            return key in self.blobs

    app = Flask(__name__)
    app.config["FILES_DIR"] = str(tmp_path / "unused")
    replacement = MemoryStore()
    app.extensions["portal_file_store"] = replacement
    with app.app_context():
        assert file_store() is replacement
        assert file_store().read(file_store().save(b"z")) == b"z"
    assert not (tmp_path / "unused").exists()


# --- download names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("申请书.pdf", "申请书.pdf"),
        ("2025年度 财务报表.xlsx", "2025年度 财务报表.xlsx"),
        ("../../x.pdf", "x.pdf"),
        ("C:\\Users\\张三\\Desktop\\营业执照.jpg", "营业执照.jpg"),
        ("/etc/passwd", "passwd"),
        ('a"b.pdf', "ab.pdf"),
        ("it's.pdf", "its.pdf"),
        ("a\r\nContent-Type: x.pdf", "aContent-Type: x.pdf"),
        ("bad\x00name\x7f.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("a\tb.pdf", "ab.pdf"),
        ("  spaced   out .pdf  ", "spaced out .pdf"),
        ("报告\u3000全文.pdf", "报告 全文.pdf"),
        ("", "document"),
        ("..", "document"),
        ("../", "document"),
        ('"\x01"', "document"),
        ("   ", "document"),
    ],
)
def test_safe_download_name(original, expected):
    assert safe_download_name(original) == expected


def test_long_names_keep_their_extension():
    name = safe_download_name("长" * 300 + ".pdf")
    assert len(name) == 150
    assert name == "长" * 146 + ".pdf"


def test_long_name_with_an_absurd_extension_is_cut_plainly():
    name = safe_download_name("a." + "b" * 300)
    assert name == "a." + "b" * 148


def test_name_at_the_limit_is_untouched():
    name = "x" * 146 + ".pdf"
    assert safe_download_name(name) == name
