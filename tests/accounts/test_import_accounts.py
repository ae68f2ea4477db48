"""import_accounts: create or update accounts by external_id."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "external_id,name,local_name,vertical,headcount,region,stage,csm\n"


def write(tmp_path, body):
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_good_file_creates_and_reimport_updates_without_duplicates(tmp_path):
    factories.person("csm", "consumer_retail", username="li")
    path = write(
        tmp_path,
        (
            "liby,Liby Group,立白集团,consumer_retail,30000,South China,expanding,li\n"
            "xtep,Xtep,特步,consumer_retail,,,,\n"
        ),
    )
    call_command("import_accounts", str(path), verbosity=0)
    liby = Account.objects.get(external_id="liby")
    assert (
        liby.local_name == "立白集团"
        and liby.headcount == 30_000
        and liby.owner_csm.username == "li"
    )
    assert liby.size_tier == "10k"
    xtep = Account.objects.get(external_id="xtep")
    assert xtep.stage == "prospect" and xtep.headcount is None and xtep.owner_csm is None

    path = write(tmp_path, "liby,Liby,立白,consumer_retail,31000,South China,at_risk,\n")
    call_command("import_accounts", str(path), verbosity=0)
    liby.refresh_from_db()
    assert (liby.name, liby.headcount, liby.stage, liby.owner_csm) == (
        "Liby",
        31_000,
        "at_risk",
        None,
    )
    assert Account.objects.count() == 2


def test_bad_rows_load_nothing_and_are_named_by_line(tmp_path, capsys):
    path = write(
        tmp_path,
        (
            "good,Good,,manufacturing,10,,,\n"
            ",No id,,manufacturing,10,,,\n"
            "v,Vertical,,nowhere,10,,,\n"
            "h,Headcount,,manufacturing,-5,,,\n"
            "h2,Headcount,,manufacturing,lots,,,\n"
            "s,Stage,,manufacturing,10,,asleep,\n"
            "c,CSM,,manufacturing,10,,,ghost\n"
            "short,Short row,,manufacturing\n"
        ),
    )
    with pytest.raises(CommandError, match="7 row"):
        call_command("import_accounts", str(path), verbosity=0)
    err = capsys.readouterr().err
    for expected in (
        "line 3: external_id",
        "line 4: vertical",
        "line 5: headcount",
        "line 6: headcount",
        "line 7: stage",
        "line 8: csm",
        "line 9: headcount: missing column",
    ):
        assert expected in err
    assert not Account.objects.exists()


def test_skip_invalid_loads_valid_rows(tmp_path):
    path = write(tmp_path, "good,Good,,manufacturing,10,,,\nbad,Bad,,nowhere,10,,,\n")
    call_command("import_accounts", str(path), "--skip-invalid", verbosity=0)
    assert list(Account.objects.values_list("external_id", flat=True)) == ["good"]
    assert "nowhere" in (tmp_path / "accounts.csv.rejected.csv").read_text(encoding="utf-8")
