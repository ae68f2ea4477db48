"""Entry point: `python -m bench` (scripts/bench.sh sets DATABASE_URL to a database of its own)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from bench.run import main  # noqa: E402

main()
