"""Where the project's own folders are (templates, static files, migrations, fonts)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
