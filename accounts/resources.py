"""Bulk import/export of accounts and contacts in the admin (CSV and XLSX, django-import-export).

Rows are checked by the same rules as the import commands (accounts:
`accounts.services.parse_account_row`), scoped to the verticals of the person
importing: an account, vertical or colleague they cannot see is "unknown".
A file with any rejected row loads nothing; each rejected row says its line
(the header is line 1) and the column at fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources

from core.csv_import import RowRejected, check_choice, check_header, check_length, present, require
from verticals.selectors import people_visible_to, verticals_visible_to

from .models import Account, Contact, ContactRole, Stage
from .selectors import accounts_visible_to
from .services import ACCOUNT_COLUMNS, parse_account_row

CONTACT_COLUMNS = ("account", "name", "title", "role", "email", "phone")


def cell_text(value) -> str:
    """A CSV or XLSX cell as the text the command's parsers read (XLSX gives numbers and dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class RowRulesResource(resources.ModelResource):
    """A ModelResource whose rows go through a parse function instead of field-by-field widgets.

    Subclasses set `columns` and implement `prepare(dataset, user)` (bulk
    look-ups), `parse(row)` (RowRejected on bad input, else the model's field
    values) and `existing(values)` (the instance a row updates, or None).
    """

    columns: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user = None
        self._parsed: dict | None = None

    # -- hooks for subclasses --
    def prepare(self, dataset, user) -> None:
        raise NotImplementedError

    def parse(self, row: Mapping[str, str | None]) -> dict:
        raise NotImplementedError

    def existing(self, values: dict):
        raise NotImplementedError

    # -- django-import-export plumbing --
    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        # As the commands: a file with any rejected row loads nothing.
        kwargs.setdefault("use_transactions", True)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def column_values(self, dataset, column: str) -> set[str]:
        if column not in (dataset.headers or []):
            return set()
        return {cell_text(v) for v in dataset[column]} - {""}

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        check_header(dataset.headers or [], columns=self.columns)
        self.prepare(dataset, self.user)

    def before_import_row(self, row, **kwargs):
        text = {name: cell_text(value) for name, value in row.items() if name}
        for column in self.columns:
            text.setdefault(column, None)
        line = kwargs.get("row_number", 0) + 1  # the header is line 1
        try:
            self._parsed = self.parse(text)
        except RowRejected as exc:
            self._parsed = None
            raise ValidationError(
                _("line %(line)d: %(field)s: %(reason)s")
                % {"line": line, "field": exc.field, "reason": exc.reason}
            ) from None

    def get_or_init_instance(self, instance_loader, row):
        instance = self.existing(self._parsed)
        if instance is not None:
            return instance, False
        return self.init_instance(row), True

    def import_instance(self, instance, row, **kwargs):
        for name, value in self._parsed.items():
            setattr(instance, name, value)

    def save_instance(self, instance, is_create, row, **kwargs):
        if self.user is not None:
            instance._history_user = self.user
        super().save_instance(instance, is_create, row, **kwargs)


class AccountResource(RowRulesResource):
    columns = ACCOUNT_COLUMNS

    external_id = fields.Field(attribute="external_id", column_name="external_id")
    name = fields.Field(attribute="name", column_name="name")
    local_name = fields.Field(attribute="local_name", column_name="local_name")
    vertical = fields.Field(attribute="vertical", column_name="vertical")
    headcount = fields.Field(attribute="headcount", column_name="headcount")
    region = fields.Field(attribute="region", column_name="region")
    stage = fields.Field(attribute="stage", column_name="stage")
    csm = fields.Field(attribute="owner_csm", column_name="csm")

    class Meta:
        model = Account
        fields = ACCOUNT_COLUMNS
        import_id_fields = ["external_id"]
        use_transactions = True
        clean_model_instances = True

    def prepare(self, dataset, user):
        self.verticals = {v.code: v for v in verticals_visible_to(user)}
        usernames = self.column_values(dataset, "csm")
        self.csms = {u.username: u for u in people_visible_to(user).filter(username__in=usernames)}
        ids = self.column_values(dataset, "external_id")
        self.accounts = {a.external_id: a for a in Account.objects.filter(external_id__in=ids)}
        self.visible_ids = set(
            accounts_visible_to(user).filter(external_id__in=ids).values_list("id", flat=True)
        )

    def parse(self, row):
        values = parse_account_row(row, verticals=self.verticals, csms=self.csms)
        account = self.accounts.get(values["external_id"])
        if account is not None and account.pk not in self.visible_ids:
            raise RowRejected("external_id", _("belongs to an account outside your verticals"))
        return values

    def existing(self, values):
        # From the database, not the look-up made before the import: a later row of the
        # same file updates the account an earlier row created (the later row wins).
        return Account.objects.filter(external_id=values["external_id"]).first()

    def import_instance(self, instance, row, **kwargs):
        if self._parsed["stage"] is None:
            # As the command: an empty stage is "prospect" for a new account, unchanged otherwise.
            self._parsed["stage"] = instance.stage if instance.pk else Stage.PROSPECT
        super().import_instance(instance, row, **kwargs)

    def dehydrate_vertical(self, account):
        return account.vertical.code

    def dehydrate_csm(self, account):
        return account.owner_csm.username if account.owner_csm_id else ""


class ContactResource(RowRulesResource):
    columns = CONTACT_COLUMNS

    account = fields.Field(attribute="account", column_name="account")
    name = fields.Field(attribute="name", column_name="name")
    title = fields.Field(attribute="title", column_name="title")
    role = fields.Field(attribute="role", column_name="role")
    email = fields.Field(attribute="email", column_name="email")
    phone = fields.Field(attribute="phone", column_name="phone")

    class Meta:
        model = Contact
        fields = CONTACT_COLUMNS
        import_id_fields = ["account", "name"]
        use_transactions = True
        clean_model_instances = True

    def prepare(self, dataset, user):
        ids = self.column_values(dataset, "account")
        self.accounts = {
            a.external_id: a for a in accounts_visible_to(user).filter(external_id__in=ids)
        }

    def parse(self, row):
        external_id = require(row, "account")
        account = self.accounts.get(external_id)
        if account is None:
            raise RowRejected("account", _("unknown account %(value)r") % {"value": external_id})
        name = require(row, "name")
        for column, limit in (("name", 120), ("title", 120), ("email", 254), ("phone", 40)):
            check_length(column, present(row, column), limit=limit)
        role = present(row, "role")
        if role:
            check_choice("role", role, ContactRole.values)
        return {
            "account": account,
            "name": name,
            "title": row["title"],
            "role": role or ContactRole.USER,
            "email": row["email"],
            "phone": row["phone"],
        }

    def existing(self, values):
        return Contact.objects.filter(account=values["account"], name=values["name"]).first()

    def dehydrate_account(self, contact):
        return contact.account.external_id
