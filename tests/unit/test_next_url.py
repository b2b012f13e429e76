import pytest

from portal.core.security import safe_next_url


@pytest.mark.parametrize(
    "target",
    ["/home", "/admin/accounts?kind=staff", "/a/b#frag", "/verify/ABC%2F"],
)
def test_local_paths_are_kept(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "home",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\tevil",
        "/\nLocation: x",
        "/\x7f",
        " /home",
    ],
)
def test_foreign_or_odd_targets_are_refused(target):
    assert safe_next_url(target) is None
