"""Production settings: `check --deploy` is clean, and health endpoints bypass the TLS redirect."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_env(database: Path, **extra) -> dict:
    """The environment of a production process: no debug, a real key, its own SQLite file.

    DATABASE_URL is replaced because the passes of `make test` point it at
    servers whose named database may not exist.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "FRONTLINE_"))
        and k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{database}"
    env["DJANGO_SECRET_KEY"] = (
        "x" * 20 + "-production-secret-key-of-enough-length-and-variety-1234567890"
    )
    env["DJANGO_ALLOWED_HOSTS"] = "frontline.example.com"
    env.update(extra)
    return env


def run(args, env):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path / "db.sqlite3"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path / "db.sqlite3")
    del env["DJANGO_SECRET_KEY"]
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_health_endpoints_answer_over_plain_http_in_production(tmp_path):
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "print(c.get('/healthz', HTTP_HOST='10.0.0.5').status_code,"
        " c.get('/readyz', HTTP_HOST='10.0.0.5').status_code,"
        " c.get('/admin/', HTTP_HOST='frontline.example.com').status_code)"
    )
    env = production_env(tmp_path / "db.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")
    result = run([sys.executable, "-c", script], env)
    assert result.returncode == 0, result.stderr
    healthz, readyz, admin = result.stdout.split()
    assert healthz == "200"
    # A fresh, empty database file is still a reachable database.
    assert readyz == "200"
    assert admin == "301"  # everything else is redirected to HTTPS


def test_check_deploy_is_clean_with_single_sign_on_and_totp(tmp_path):
    env = production_env(
        tmp_path / "db.sqlite3",
        OIDC_ISSUER="https://id.example.com/realms/staff",
        OIDC_CLIENT_ID="frontline",
        OIDC_CLIENT_SECRET="a-client-secret-from-the-provider",
        OIDC_PROVIDER_NAME="Example ID",
        OIDC_ROLES_CLAIM="frontline_roles",
        PASSWORD_LOGIN="superusers",
        STAFF_MFA="1",
    )
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_password_login_mode_is_refused_at_start(tmp_path):
    env = production_env(tmp_path / "db.sqlite3", PASSWORD_LOGIN="nobody")
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "PASSWORD_LOGIN must be 'all' or 'superusers'" in result.stderr


def test_check_deploy_warns_of_half_a_provider_configuration_and_plain_http(tmp_path):
    env = production_env(
        tmp_path / "db.sqlite3", OIDC_ISSUER="http://id.example.com", OIDC_CLIENT_ID="frontline"
    )
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "frontline.W001" in result.stderr and "OIDC_CLIENT_SECRET not set" in result.stderr
    assert "frontline.W002" in result.stderr
