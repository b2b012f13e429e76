"""Malformed input is a 404/400 or a message beside the field, never a 500 (issue 12, item 6).

Generated from the app, not from a list: every route of ``app.url_map`` with an integer
argument is asked for with huge, negative and zero ids; every GET page is asked for with the
integer query arguments set to huge, non-numeric and NaN values; and every form that a page
shows is posted with each of its numeric fields (WTForms number fields, inputs a browser treats
as numbers, hidden counters) set to such values, each as a role that may use it. Nothing may
answer 500. Amounts below a cent are refused beside the field.
"""

from __future__ import annotations

import pkgutil
import re
from html.parser import HTMLParser
from importlib import import_module

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm, Form

import portal.web
from portal.core.inputs import DB_INT_MAX, IdConverter, parse_int
from portal.web.admin.program_editor_fields import (
    DecimalNumberField,
    RowAmountField,
    RowWholeNumberField,
    WholeNumberField,
)
from tests.security import world as w
from tests.security.endpoints import (
    ACCOUNTS,
    allowed_roles,
    rules,
    url_for_rule,
    url_map_app,
)
from tests.security.forms import form_fields

URL_MAP_APP = url_map_app()
ALL_RULES = rules(URL_MAP_APP)
SENTINEL = 987654321  # an id no world object has; replaced in the URL by the hostile text
HOSTILE_IDS = ("99999999999999999999", "9223372036854775808", str(DB_INT_MAX + 1), "9" * 5000)
OTHER_IDS = ("0", "-1", "0000000000000000000000000000001", "0" * 5000 + "1")
INTEGER_QUERY_ARGS = ("page", "program", "year")
HOSTILE_NUMBERS = (
    "99999999999999999999",
    "1" + "0" * 29,
    "-99999999999999999999",
    "abc",
    "NaN",
    "sNaN",
    "Infinity",
    "1e400",
    "0.000000001",
    "9" * 5000,
    "0" * 5000 + "1",
)
# Roles of the walk: the declared roles, and firm B, whose draft shows the application forms.
CLIENT_ACCOUNTS = {**ACCOUNTS, "firm_b": w.FIRM_B}
# GET endpoints that end the session or leave the site (nothing to learn from them here).
SKIPPED = {"static"}
NUMERIC_FIELD_CLASSES = (
    IntegerField,
    DecimalField,
    FloatField,
    WholeNumberField,
    DecimalNumberField,
    RowWholeNumberField,
    RowAmountField,
)
# Inputs the views read as numbers although their fields are not number fields.
NUMERIC_NAME = re.compile(r"^(lock_\d+|score__.+)$")


def _integer_arguments(rule) -> list[str]:
    return [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]


INT_RULES = [rule for rule in ALL_RULES if _integer_arguments(rule)]
GET_RULES = [rule for rule in ALL_RULES if "GET" in rule.methods and rule.endpoint not in SKIPPED]


# --- which fields are numbers: walked from the WTForms classes ----------------------------------


def _import_web() -> None:
    for module in pkgutil.walk_packages(portal.web.__path__, "portal.web."):
        import_module(module.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _numeric_names(form_class: type, seen: set[type]) -> set[str]:
    if form_class in seen:
        return set()
    seen.add(form_class)
    names = set()
    for name in dir(form_class):
        field = getattr(form_class, name, None)
        if not isinstance(field, UnboundField):
            continue
        names |= _numeric_of(name, field, seen)
    return names


def _numeric_of(name: str, field: UnboundField, seen: set[type]) -> set[str]:
    if issubclass(field.field_class, NUMERIC_FIELD_CLASSES):
        return {name}
    if issubclass(field.field_class, FieldList) and field.args:
        return _numeric_of(name, field.args[0], seen)
    if issubclass(field.field_class, FormField) and field.args:
        return _numeric_names(field.args[0], seen)
    return set()


def numeric_field_names() -> set[str]:
    _import_web()
    names: set[str] = set()
    seen: set[type] = set()
    for form_class in _subclasses(BaseForm) | _subclasses(Form):
        if form_class.__module__.startswith("portal."):
            names |= _numeric_names(form_class, seen)
    return names


NUMERIC_NAMES = numeric_field_names()


# --- the forms of a page ------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each POST form of a page: its action and the names of its numeric inputs."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[tuple[str, set[str]]] = []
        self._current: tuple[str, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            if (attributes.get("method") or "get").lower() == "post":
                self._current = (attributes.get("action") or self.page_url, set())
                self.forms.append(self._current)
            else:
                self._current = None
            return
        name = attributes.get("name")
        if self._current is None or tag not in ("input", "textarea") or not name:
            return
        numeric = (
            name.rsplit("-", 1)[-1] in NUMERIC_NAMES
            or attributes.get("type") == "number"
            or attributes.get("inputmode") in ("decimal", "numeric")
            or NUMERIC_NAME.match(name)
        )
        if numeric and attributes.get("type") not in ("submit", "checkbox", "radio", "file"):
            self._current[1].add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def post_forms(page: str, page_url: str) -> list[tuple[str, set[str]]]:
    reader = _Forms(page_url)
    reader.feed(page)
    return [(action, names) for action, names in reader.forms if names]


# --- tests --------------------------------------------------------------------------------------


def test_ids_in_urls_are_read_within_the_database_range():
    assert INT_RULES, "no route with an integer argument?"
    for rule in INT_RULES:
        for name in _integer_arguments(rule):
            assert isinstance(rule._converters[name], IdConverter), (rule.rule, name)
    assert parse_int("2147483647") == DB_INT_MAX
    assert parse_int("0" * 5000 + "7") == 7
    for text in ("2147483648", "-1", "abc", "NaN", "1e3", "1.0", "", None, "9" * 5000, "١٢"):
        assert parse_int(text) is None, text


def test_the_walk_finds_the_numeric_fields():
    assert {"employees", "ip_class_i", "amount", "requested_amount", "budget"} <= NUMERIC_NAMES


def _signed_in(app, role: str):
    return w.signed_in_client(app, CLIENT_ACCOUNTS[role])


def _role_for(endpoint: str) -> str:
    roles = allowed_roles(endpoint)
    return next((role for role in roles if role != "anonymous"), roles[0])


def _sentinel_url(app, rule, world, argument: str) -> str:
    return url_for_rule(app, rule, world, **{argument: SENTINEL})


def test_huge_or_negative_ids_in_any_route_are_404(world_app, fresh_world):
    app, world = world_app, fresh_world
    clients = {role: _signed_in(app, role) for role in CLIENT_ACCOUNTS}
    for rule in INT_RULES:
        client = clients[_role_for(rule.endpoint)]
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        for argument in _integer_arguments(rule):
            url = _sentinel_url(app, rule, world, argument)
            for hostile in HOSTILE_IDS + OTHER_IDS:
                bad = url.replace(str(SENTINEL), hostile, 1)
                for method in methods:
                    response = client.open(bad, method=method, data={})
                    assert response.status_code < 500, (method, bad[:120], response.status_code)
                    if hostile in HOSTILE_IDS or hostile.startswith("-"):
                        assert response.status_code == 404, (method, bad[:120])


def _get_urls(app, world, role: str) -> list[str]:
    urls = []
    for rule in GET_RULES:
        if role not in allowed_roles(rule.endpoint) and not (
            role == "firm_b" and "enterprise" in allowed_roles(rule.endpoint)
        ):
            continue
        values = {}
        if role == "firm_b" and "application_id" in rule.arguments:
            values["application_id"] = world["firm_b_application"]
        urls.append(url_for_rule(app, rule, world, **values))
    return urls


@pytest.mark.parametrize("role", sorted(CLIENT_ACCOUNTS))
def test_integer_query_arguments_never_fail(world_app, fresh_world, role):
    app, world = world_app, fresh_world
    client = _signed_in(app, role)
    urls = _get_urls(app, world, role)
    assert urls
    for url in urls:
        for hostile in HOSTILE_NUMBERS:
            query = "&".join(f"{name}={hostile}" for name in INTEGER_QUERY_ARGS)
            bad = f"{url}{'&' if '?' in url else '?'}{query}"
            response = client.get(bad)
            assert response.status_code < 500, (bad[:160], response.status_code)


def test_anonymous_publicity_with_a_huge_page_is_the_first_page(world_app, fresh_world):
    client = world_app.test_client()
    response = client.get("/publicity?page=99999999999999999999")
    assert response.status_code == 200
    assert client.get("/publicity?page=NaN").status_code == 200


@pytest.mark.parametrize("role", sorted(CLIENT_ACCOUNTS))
def test_every_numeric_form_field_refuses_malformed_values(world_app, fresh_world, role):
    app, world = world_app, fresh_world
    client = _signed_in(app, role)
    posted: set[str] = set()
    for url in _get_urls(app, world, role):
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        for action, names in post_forms(page, url):
            base = form_fields(page, action, page_url=url)
            # One field at a time: the others keep the page's values, so that the form passes
            # every other check and the hostile value goes as deep as it can.
            for name in sorted(names):
                for hostile in HOSTILE_NUMBERS:
                    data = base.copy()
                    data.setlist(name, [hostile])
                    answer = client.post(action, data=data)
                    assert answer.status_code < 500, (role, action, name, hostile[:40])
                posted.add(name.rsplit("-", 1)[-1])
            client = _signed_in(app, role)  # a post may have signed out or changed language
    expected = {
        "enterprise": {"employees", "ip_class_i", "software_copyrights", "revenue", "year"},
        "firm_b": {"requested_amount", "value__ip_class_i"},
        "officer": {"budget", "per_firm_cap", "reviewers_per_application", "publicity_days"},
        "admin": {"budget", "lock_version"},
        "reviewer": {"score__innovation"},
    }.get(role, set())
    assert expected <= posted, (role, expected - posted)


def _profile_refuses(client, field: str, value: str, message_part: str) -> None:
    page = client.get("/profile")
    data = form_fields(page.get_data(as_text=True), "/profile", page_url="/profile")
    data.setlist(field, [value])
    response = client.post("/profile", data=data)
    assert response.status_code == 422, (field, value, response.status_code)
    text = response.get_data(as_text=True)
    assert message_part in text, (field, value)


def test_the_profile_refuses_malformed_numbers_beside_the_field(world_app, fresh_world):
    client = _signed_in(world_app, "enterprise")
    with world_app.test_request_context():
        assert url_for("profiles.edit_profile") == "/profile"
    _profile_refuses(client, "years-0-year", "abc", 'name="years-0-year"')
    _profile_refuses(client, "years-0-employees", "1" + "0" * 29, 'id="years-0-employees-error"')
    _profile_refuses(client, "ip_class_i", "1" + "0" * 29, 'id="ip_class_i-error"')
    _profile_refuses(client, "years-0-revenue", "NaN", 'id="years-0-revenue-error"')
    _profile_refuses(client, "years-0-revenue", "sNaN", 'id="years-0-revenue-error"')
    _profile_refuses(client, "years-0-revenue", "0.000000001", 'id="years-0-revenue-error"')


def test_an_amount_below_a_cent_is_refused_beside_the_field(world_app, fresh_world):
    client = _signed_in(world_app, "firm_b")
    url = f"/applications/{fresh_world['firm_b_application']}/amount"
    page = client.get(url)
    assert page.status_code == 200
    for hostile in ("0.000000001", "NaN", "sNaN", "1" + "0" * 29):
        data = form_fields(page.get_data(as_text=True), url, page_url=url)
        data.setlist("requested_amount", [hostile])
        response = client.post(url, data=data)
        assert response.status_code == 422, (hostile, response.status_code)
        assert 'id="requested_amount-error"' in response.get_data(as_text=True), hostile
