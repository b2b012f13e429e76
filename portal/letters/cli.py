"""``flask --app portal letters export PROGRAMME OUT.zip`` and ``issue-due``; ``flask --app
portal jobs worker`` runs the background job consumer."""

from __future__ import annotations

import os
import shutil

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.files import file_store
from portal.core.jobs import commit, run_worker
from portal.core.operator_lock import one_at_a_time
from portal.letters.catch_up import issue_missing_letters
from portal.letters.export import run_export
from portal.letters.models import LetterExport
from portal.letters.pdf import shutdown_pools
from portal.programs.models import Program

letters_cli = AppGroup("letters", help="Decision letters.")
jobs_cli = AppGroup("jobs", help="Background jobs.")


def _program(code: str):
    program = db.session.scalar(select(Program).where(Program.code == code))
    if program is None:
        raise click.BadParameter(f"no programme with the code {code!r}", param_hint="PROGRAMME")
    return program


@letters_cli.command("export")
@click.argument("program_code", metavar="PROGRAMME")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Processes that render letters still due.",
)
def export(program_code: str, out: str, workers: int) -> None:
    """Write every letter of PROGRAMME, with a CSV manifest, to OUT.zip (issuing any still due)."""
    program = _program(program_code)
    job = LetterExport(program_id=program.id)

    db.session.add(job)
    commit()
    with click.progressbar(length=1, label="Letters", show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            run_export(job.id, workers=workers, progress=progress)
        finally:
            shutdown_pools()
    job = db.session.get(LetterExport, job.id)
    with file_store().open(job.file_key) as source, open(out, "wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    click.echo(f"{job.letter_count} letter(s) of {program.code} written to {out}.")


@letters_cli.command("issue-due")
@click.option("--program", "program_code", default="", help="Only this programme.")
@one_at_a_time("letters issue-due")
def issue_due(program_code: str) -> None:
    """Issue every letter that is due and missing (a final decision without its letter).

    Cron may start it on every host: one run at a time issues, the others say "already
    running". Even without that lock a letter is issued once (``issue_due_letters`` locks the
    applications' rows)."""
    program_ids = [_program(program_code).id] if program_code else None
    issued = issue_missing_letters(program_ids)
    if issued:
        click.echo(f"{issued} letter(s) issued.")
    else:
        click.echo("0 letter(s) issued. Nothing to do: no letter is due.")


@jobs_cli.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
def worker(workers: int) -> None:
    """Run the background job consumer (letters, exports) until stopped."""
    run_worker(workers)
