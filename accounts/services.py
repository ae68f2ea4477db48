"""Writes for accounts: the account import."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from core.csv_import import (
    ImportReport,
    RowRejected,
    check_choice,
    check_length,
    loads_nothing,
    parse_non_negative_int,
    parsed_rows,
    require,
    require_columns,
)
from verticals.models import Vertical

from . import list_cache
from .models import Account, Stage

ACCOUNT_COLUMNS = (
    "external_id",
    "name",
    "local_name",
    "vertical",
    "headcount",
    "region",
    "stage",
    "csm",
)
_FIELD_LIMITS = {"external_id": 64, "name": 200, "local_name": 200, "region": 80}
_UPDATED_FIELDS = ["name", "local_name", "vertical", "headcount", "region", "stage", "owner_csm"]


def parse_account_row(row: dict, *, verticals: dict, csms: dict) -> dict:
    require_columns(row, ACCOUNT_COLUMNS)
    external_id = require(row, "external_id")
    name = require(row, "name")
    for column, limit in _FIELD_LIMITS.items():
        check_length(column, row[column], limit=limit)
    code = require(row, "vertical")
    vertical = verticals.get(code)
    if vertical is None:
        raise RowRejected("vertical", _("unknown vertical %(value)r") % {"value": code})
    headcount = parse_non_negative_int(row, "headcount", required=False)
    stage = row["stage"] or None
    if stage is not None:
        check_choice("stage", stage, Stage.values)
    csm = None
    if row["csm"]:
        csm = csms.get(row["csm"])
        if csm is None:
            raise RowRejected("csm", _("unknown user %(value)r") % {"value": row["csm"]})
    return {
        "external_id": external_id,
        "name": name,
        "local_name": row["local_name"],
        "vertical": vertical,
        "headcount": headcount,
        "region": row["region"],
        "stage": stage,
        "owner_csm": csm,
    }


def import_accounts(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Create or update accounts by external_id; a later row for the same id wins."""
    report = ImportReport()
    rows = list(rows)
    verticals = {v.code: v for v in Vertical.objects.all()}
    usernames = {row.get("csm") for _, row in rows if row.get("csm")}
    csms = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    parsed: dict[str, dict] = {}
    for account in parsed_rows(
        rows,
        parse=lambda row: parse_account_row(row, verticals=verticals, csms=csms),
        report=report,
        columns=ACCOUNT_COLUMNS,
    ):
        parsed[account["external_id"]] = account
    if loads_nothing(report, skip_invalid=skip_invalid):
        return report

    with transaction.atomic():
        existing = {a.external_id: a for a in Account.objects.filter(external_id__in=list(parsed))}
        to_create, to_update = [], []
        for values in parsed.values():
            account = existing.get(values["external_id"])
            if account is None:
                values["stage"] = values["stage"] or Stage.PROSPECT
                to_create.append(Account(**values))
            else:
                values["stage"] = values["stage"] or account.stage
                for name in _UPDATED_FIELDS:
                    setattr(account, name, values[name])
                to_update.append(account)
        Account.objects.bulk_create(to_create, batch_size=2000)
        Account.objects.bulk_update(to_update, _UPDATED_FIELDS, batch_size=2000)
        list_cache.changed()  # bulk writes send no signals
    report.created = len(to_create)
    report.updated = len(to_update)
    report.loaded = report.created + report.updated
    return report
