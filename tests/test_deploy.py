"""Production settings: `check --deploy` is clean, and health endpoints bypass the TLS redirect."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FRONTLINE_"))}
    env.update(
        DJANGO_SECRET_KEY="x" * 20
        + "-production-secret-key-of-enough-length-and-variety-1234567890",
        DJANGO_ALLOWED_HOSTS="frontline.example.com",
        **extra,
    )
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_health_endpoints_answer_over_plain_http_in_production():
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "print(c.get('/healthz', HTTP_HOST='10.0.0.5').status_code,"
        " c.get('/readyz', HTTP_HOST='10.0.0.5').status_code,"
        " c.get('/admin/', HTTP_HOST='frontline.example.com').status_code)"
    )
    env = production_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{ROOT}/.deploy-test.sqlite3",
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        Path(ROOT / ".deploy-test.sqlite3").unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    healthz, readyz, admin = result.stdout.split()
    assert healthz == "200"
    # No tables in this fresh database file is still a reachable database.
    assert readyz == "200"
    assert admin == "301"  # everything else is redirected to HTTPS
