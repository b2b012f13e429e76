"""Helpers shared by every form view."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.core.domain import DomainError

# Status for a form shown again with errors: the browser shows the page, and the request's
# unit of work rolls back (portal/core/database.py).
INVALID_FORM_STATUS = 422


def attach_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal beside the field it concerns, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))
