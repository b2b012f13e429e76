"""Decision letters: WeasyPrint PDFs with GB/T 9704 numbers, public verification, exports."""

from __future__ import annotations

from flask import Flask


def init_letters(app: Flask) -> None:
    from portal.applications import lifecycle
    from portal.letters.tasks import schedule_letter

    lifecycle.on_final_decision(schedule_letter)
