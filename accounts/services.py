"""Writes for accounts: the account import."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from core.csv_import import ImportReport, RowError, RowRejected, parse_non_negative_int, require
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
    for column in ACCOUNT_COLUMNS:
        if row.get(column) is None:
            raise RowRejected(column, _("missing column"))
    external_id = require(row, "external_id")
    name = require(row, "name")
    for column, limit in _FIELD_LIMITS.items():
        if len(row[column]) > limit:
            raise RowRejected(column, _("longer than %(n)d characters") % {"n": limit})
    code = require(row, "vertical")
    vertical = verticals.get(code)
    if vertical is None:
        raise RowRejected("vertical", _("unknown vertical %(value)r") % {"value": code})
    headcount = parse_non_negative_int(row, "headcount", required=False)
    stage = row["stage"] or None
    if stage is not None and stage not in Stage.values:
        raise RowRejected(
            "stage",
            _("%(value)r is not one of %(choices)s")
            % {"value": stage, "choices": ", ".join(Stage.values)},
        )
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
    for line, row in rows:
        report.read += 1
        try:
            account = parse_account_row(row, verticals=verticals, csms=csms)
        except RowRejected as exc:
            raw = tuple(row.get(c) or "" for c in ACCOUNT_COLUMNS)
            report.rejected.append(RowError(line, exc.field, exc.reason, raw))
            continue
        parsed[account["external_id"]] = account
    if report.rejected and not skip_invalid:
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
