"""Decision letters: WeasyPrint PDFs with GB/T 9704 numbers, public verification, exports."""

from __future__ import annotations

from flask import Flask

from portal.applications import lifecycle
from portal.letters import tasks


def init_letters(app: Flask) -> None:
    # Importing ``tasks`` declared the letter jobs; a final decision schedules its letter.
    lifecycle.on_final_decision(tasks.schedule_letter)
