"""Registration (finished by an emailed link), sign-in and sign-out, the home page of each
role, password and language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import confirmation, reset, services
from portal.core.access import ANONYMOUS, PUBLIC, SIGNED_IN, allow
from portal.core.database import keep_changes_on_refusal
from portal.core.domain import DomainError
from portal.core.extensions import limiter
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import ADDRESS_CHOICE, LANGUAGES, requested_locale, select_locale
from portal.core.security import safe_next_url
from portal.web.account.dashboards import home_context
from portal.web.account.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    RegistrationForm,
    SignInForm,
)
from portal.web.shared.forms import ActionForm, LanguageForm

bp = Blueprint("accounts", __name__)


def _start_session(user) -> None:
    # Drop whatever the anonymous session held (fixation) but keep the chosen language; a
    # language picked just before signing in is the latest wish, so the account takes it.
    locale = session.get("locale")
    session.clear()
    if locale in LANGUAGES:
        session["locale"] = locale
        services.set_locale(user, locale)
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.register_enterprise(
                services.EnterpriseRegistration(
                    company_name=form.company_name.data,
                    uscc=form.uscc.data,
                    contact_person=form.contact_person.data,
                    mobile=form.mobile.data,
                    email=form.email.data,
                    password=form.password.data,
                    locale=select_locale(),
                )
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            # The same page whether the address was new or already had an account (whose owner
            # is mailed instead): registering tells no one who has an account.
            return render_template("accounts/register_sent.html")
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def confirm_registration(token: str):
    """A page with a button, not a GET that confirms: mail scanners that open links must not
    finish a registration on the owner's behalf."""
    try:
        confirmation.user_for_token(token)
    except DomainError as error:
        page = render_template("accounts/confirm_registration_invalid.html", problem=error.message)
        return page, 404
    form = ActionForm()
    if form.validate_on_submit():
        confirmation.confirm(token)
        flash(_("Your registration is finished. Sign in with your email and password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_registration.html", form=form)


@bp.route("/register/resend", methods=["POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"))
def resend_confirmation():
    """Send the link again to the account whose right password was just given at sign-in
    (kept in the session), so that no one can have it sent to an address they only name."""
    form = ActionForm()
    if form.validate_on_submit():
        user_id = session.pop(_RESEND_KEY, None)
        if isinstance(user_id, int):
            confirmation.resend_link(user_id)
    minutes = current_app.config["ACCOUNT_MAIL_INTERVAL_MINUTES"]
    return render_template("accounts/confirmation_resent.html", minutes=minutes)


_RESEND_KEY = "confirmation_resend_for"


@bp.route("/login", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    form = SignInForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next")) or ""
    resend_form = None
    if form.validate_on_submit():
        try:
            user = services.sign_in(form.email.data, form.password.data, client=request.remote_addr)
        except services.SignInRefused as refusal:
            keep_changes_on_refusal()  # failed attempts and lockout must be recorded
            if refusal.locked_until is not None:
                form.form_errors.append(
                    _(
                        "Too many failed sign-ins: this account is locked. "
                        "Try again after %(time)s.",
                        time=format_datetime(refusal.locked_until, "yyyy-MM-dd HH:mm"),
                    )
                )
            else:
                form.form_errors.append(str(refusal.message))
            if refusal.unconfirmed is not None:
                session[_RESEND_KEY] = refusal.unconfirmed.id
                resend_form = ActionForm()
            form.password.data = ""
        else:
            _start_session(user)
            return redirect(safe_next_url(form.next.data) or url_for("accounts.home"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form, resend_form=resend_form), status


def _limit(name: str) -> str:
    return current_app.config[name]


@bp.route("/logout", methods=["POST"])
@allow(*SIGNED_IN)
def logout():
    services.record_sign_out(current_user)
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/home")
@allow(*SIGNED_IN)
def home():
    template, context = home_context(current_user)
    return render_template(template, **context)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            login_user(user)  # re-issue this session with the new session version
            flash(
                _("Your password has been changed. Other sessions have been signed out."), "success"
            )
            return redirect(url_for("accounts.home"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_password_sent.html")
    status = INVALID_FORM_STATUS if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS)
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str):
    try:
        reset.user_for_token(token)
    except DomainError as error:
        return render_template("accounts/reset_password_invalid.html", problem=error.message), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(token, form.new_password.data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(_("Your password has been reset. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    status = INVALID_FORM_STATUS if form.errors or form.form_errors else 200
    return render_template("accounts/reset_password.html", form=form), status


@bp.before_app_request
def remember_requested_language() -> None:
    """Keep a ``?lang=`` for the pages that follow, in the session (see ``select_locale``).

    Signing in or pressing a language button then makes it the account's choice too; a GET
    does not write to the database."""
    asked = requested_locale()
    if asked is None:
        return
    session["locale"] = asked
    session[ADDRESS_CHOICE] = True


@bp.route("/language", methods=["POST"])
@allow(PUBLIC)
def set_language():
    form = LanguageForm()
    target = safe_next_url(form.next.data) or url_for("public.index")
    if form.validate_on_submit() and form.locale.data in LANGUAGES:
        session["locale"] = form.locale.data
        session.pop(ADDRESS_CHOICE, None)
        if current_user.is_authenticated:
            services.set_locale(current_user, form.locale.data)
    return redirect(target)
