"""The web layer: blueprints grouped by audience, their forms and presenters.

``public``: anyone (home, programmes, publicity, letter verification); ``account``: signing in,
registering, each role's home; ``firm``: an enterprise's profile and applications; ``reviewer``:
an expert's queue and scoring; ``desk``: the officers' queue, review, decisions, letters,
dashboard and exports; ``admin``: staff accounts, programmes and their editor; ``shared``: pages
and presenters several audiences use (downloads, letters, notifications).

The web layer may import every domain; no domain imports it.
"""

from __future__ import annotations

from flask import Flask

from portal.web.account.routes import bp as accounts_bp
from portal.web.admin.post_award_plans import bp as post_award_plans_bp
from portal.web.admin.program_editor import bp as program_editor_bp
from portal.web.admin.programs import bp as program_admin_bp
from portal.web.admin.routes import bp as admin_bp
from portal.web.desk.acceptance import bp as desk_acceptance_bp
from portal.web.desk.agreements import bp as desk_agreements_bp
from portal.web.desk.applications import bp as staff_applications_bp
from portal.web.desk.dashboard import bp as dashboard_bp
from portal.web.desk.decisions import bp as decisions_bp
from portal.web.desk.exports import bp as exports_bp
from portal.web.desk.letters import bp as letter_admin_bp
from portal.web.desk.payments import bp as payments_bp
from portal.web.desk.recovery import bp as recovery_bp
from portal.web.desk.release_records import bp as release_records_bp
from portal.web.desk.reports import bp as desk_reports_bp
from portal.web.desk.review import bp as review_admin_bp
from portal.web.desk.sign_off import bp as sign_off_bp
from portal.web.firm.acceptance import bp as firm_acceptance_bp
from portal.web.firm.agreements import bp as firm_agreements_bp
from portal.web.firm.applications import bp as applications_bp
from portal.web.firm.profile import bp as profiles_bp
from portal.web.firm.recovery import bp as firm_recovery_bp
from portal.web.firm.reports import bp as firm_reports_bp
from portal.web.public.home import bp as public_bp
from portal.web.public.programs import bp as programs_bp
from portal.web.public.publicity import bp as publicity_bp
from portal.web.public.verify import bp as verify_bp
from portal.web.reviewer.acceptance import bp as acceptance_panel_bp
from portal.web.reviewer.routes import bp as reviewer_bp
from portal.web.shared.downloads import bp as files_bp
from portal.web.shared.letters import bp as letters_bp
from portal.web.shared.notifications import bp as notifications_bp
from portal.web.templating import init_templating
from portal.web.wall.prints import bp as task_prints_bp
from portal.web.wall.settings import bp as task_settings_bp
from portal.web.wall.slips import bp as slips_bp
from portal.web.wall.task_pages import bp as key_tasks_bp
from portal.web.wall.wall import bp as wall_bp


def init_web(app: Flask) -> None:
    init_templating(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(profiles_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(program_admin_bp)
    app.register_blueprint(program_editor_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(staff_applications_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(release_records_bp)
    app.register_blueprint(sign_off_bp)
    app.register_blueprint(publicity_bp)
    app.register_blueprint(review_admin_bp)
    app.register_blueprint(reviewer_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(letter_admin_bp)
    # After the award (portal.payments): one blueprint per part and audience.
    app.register_blueprint(firm_agreements_bp)
    app.register_blueprint(desk_agreements_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(firm_reports_bp)
    app.register_blueprint(desk_reports_bp)
    app.register_blueprint(wall_bp, url_prefix="/tasks")
    app.register_blueprint(key_tasks_bp, url_prefix="/tasks")
    app.register_blueprint(slips_bp, url_prefix="/tasks/slips")
    app.register_blueprint(task_prints_bp, url_prefix="/tasks")
    app.register_blueprint(task_settings_bp, url_prefix="/tasks/settings")
    app.register_blueprint(desk_acceptance_bp)
    app.register_blueprint(acceptance_panel_bp)
    app.register_blueprint(firm_acceptance_bp)
    app.register_blueprint(recovery_bp)
    app.register_blueprint(firm_recovery_bp)
    app.register_blueprint(post_award_plans_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(notifications_bp)
