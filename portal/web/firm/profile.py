"""The firm's own profile page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import ENTERPRISE, allow
from portal.core.forms import INVALID_FORM_STATUS
from portal.core.timeutil import bureau_today
from portal.profiles import services
from portal.web.firm.profile_forms import RECOGNITION_LABELS, ProfileForm
from portal.web.shared.forms import bool_to_tri_state, tri_state_to_bool

bp = Blueprint("profiles", __name__)

TRI_STATE_FIELDS = (
    "in_fluorine_park",
    "high_tech_certificate",
    "has_rd_institution",
    "branch_or_trading_company",
    "on_abnormal_list",
    "on_dishonesty_list",
)
PLAIN_FIELDS = ("founded_on", "ip_class_i", "ip_class_ii", "software_copyrights")


def _fill_form(form: ProfileForm, enterprise, years: list[int]) -> None:
    for name in TRI_STATE_FIELDS:
        getattr(form, name).data = bool_to_tri_state(getattr(enterprise, name))
    for name in PLAIN_FIELDS:
        getattr(form, name).data = getattr(enterprise, name)
    form.high_tech_certificate_no.data = enterprise.high_tech_certificate_no
    stored = services.load_years(enterprise.id)
    while form.years.entries:
        form.years.pop_entry()
    for year in years:
        row = stored.get(year)
        form.years.append_entry(
            {
                "year": year,
                "revenue": row.revenue if row else None,
                "employees": row.employees if row else None,
                "rd_expense": row.rd_expense if row else None,
                "super_deduction_filed": bool_to_tri_state(row.super_deduction_filed)
                if row
                else "",
            }
        )
    recognitions = services.load_recognitions(enterprise.id)
    while form.recognitions.entries:
        form.recognitions.pop_entry()
    for rec in recognitions:
        form.recognitions.append_entry(
            {"kind": rec.kind, "year": rec.year, "certificate_no": rec.certificate_no}
        )
    for _blank in range(max(2, 3 - len(recognitions))):
        form.recognitions.append_entry({"kind": "", "year": None, "certificate_no": ""})


@bp.route("/profile", methods=["GET", "POST"])
@allow(ENTERPRISE)
def edit_profile():
    enterprise = current_user.enterprise
    years = services.profile_years(bureau_today())
    form = ProfileForm()
    if not form.is_submitted():
        _fill_form(form, enterprise, years)
    elif form.validate():
        fields = {name: tri_state_to_bool(getattr(form, name).data) for name in TRI_STATE_FIELDS}
        fields.update({name: getattr(form, name).data for name in PLAIN_FIELDS})
        fields["high_tech_certificate_no"] = (form.high_tech_certificate_no.data or "").strip()
        year_values = {}
        for entry in form.years.entries:
            year = int(entry.year.data)
            if year not in years:
                continue  # only the years the page offers can be written
            year_values[year] = {
                "revenue": entry.revenue.data,
                "employees": entry.employees.data,
                "rd_expense": entry.rd_expense.data,
                "super_deduction_filed": tri_state_to_bool(entry.super_deduction_filed.data),
            }
        recognitions = {
            (entry.kind.data, entry.year.data): (entry.certificate_no.data or "").strip()
            for entry in form.recognitions.entries
            if entry.kind.data
        }
        changes = services.update_profile(
            enterprise,
            fields,
            year_values,
            [(kind, year, number) for (kind, year), number in recognitions.items()],
            actor=current_user._get_current_object(),
        )
        if changes:
            flash(_("Your profile has been saved."), "success")
        else:
            flash(_("Nothing had changed."), "info")
        return redirect(url_for("profiles.edit_profile"))
    status = INVALID_FORM_STATUS if form.errors else 200
    return render_template(
        "profiles/edit.html",
        form=form,
        enterprise=enterprise,
        recognition_labels=RECOGNITION_LABELS,
    ), status
