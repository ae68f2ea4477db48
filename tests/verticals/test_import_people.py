"""import_people: onboarding staff from a CSV of memberships."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from verticals.models import Membership

pytestmark = pytest.mark.django_db

HEADER = "username,full_name,email,vertical,role\n"


def write(tmp_path, body, name="people.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_good_file_creates_users_and_memberships_and_reimport_changes_nothing(tmp_path):
    path = write(
        tmp_path,
        (
            "wang,王芳,wang@example.com,manufacturing,csm\n"
            "wang,王芳,wang@example.com,agri_food,lead\n"
            "ku,库伟,ku@example.com,,coo\n"
            "bi,BI system,,,api_client\n"
        ),
    )
    call_command("import_people", str(path), verbosity=0)
    User = get_user_model()
    wang = User.objects.get(username="wang")
    assert wang.first_name == "王芳" and wang.is_staff and not wang.has_usable_password()
    assert set(wang.memberships.values_list("vertical__code", "role")) == {
        ("manufacturing", "csm"),
        ("agri_food", "lead"),
    }
    assert wang.groups.filter(name="CSM").exists()
    assert User.objects.get(username="ku").is_staff
    assert not User.objects.get(username="bi").is_staff
    assert Membership.objects.get(user__username="bi").vertical is None

    call_command("import_people", str(path), verbosity=0)
    assert User.objects.filter(username__in=["wang", "ku", "bi"]).count() == 3
    assert Membership.objects.count() == 4


def test_bad_file_loads_nothing_and_names_each_bad_line(tmp_path, capsys):
    path = write(
        tmp_path,
        (
            "ok,Fine,ok@example.com,manufacturing,csm\n"
            "bad one,Bad,x@example.com,manufacturing,csm\n"
            "nov,No vertical,nov@example.com,,csm\n"
            "coo2,COO,coo@example.com,manufacturing,coo\n"
            "who,Who,notanemail,manufacturing,csm\n"
            "r,Role,r@example.com,manufacturing,janitor\n"
            "u,Unknown,u@example.com,space,csm\n"
        ),
    )
    with pytest.raises(CommandError, match="6 row"):
        call_command("import_people", str(path), verbosity=0)
    err = capsys.readouterr().err
    assert "line 3: username" in err
    assert "line 4: vertical" in err
    assert "line 5: vertical" in err
    assert "line 6: email" in err
    assert "line 7: role" in err
    assert "line 8: vertical: unknown vertical 'space'" in err
    assert not get_user_model().objects.filter(username="ok").exists()


def test_skip_invalid_loads_the_rest_and_writes_rejects_beside_the_input(tmp_path):
    path = write(
        tmp_path,
        "ok,Fine,ok@example.com,manufacturing,csm\nr,Role,r@example.com,manufacturing,janitor\n",
    )
    call_command("import_people", str(path), "--skip-invalid", verbosity=0)
    assert get_user_model().objects.filter(username="ok").exists()
    rejects = (tmp_path / "people.csv.rejected.csv").read_text(encoding="utf-8")
    assert "3,role," in rejects


def test_missing_header_column_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("username,full_name,vertical,role\nx,X,manufacturing,csm\n", encoding="utf-8")
    with pytest.raises(CommandError, match="email"):
        call_command("import_people", str(path), verbosity=0)
