"""Bulk import/export of visits and requirements in the admin (CSV and XLSX).

Large customers arrive with years of visit and requirement records from old
systems. Rows are checked by `visits.services.parse_visit_row` /
`parse_requirement_row`, against the accounts and people the importing user
may see; any rejected row loads nothing. Re-importing a file updates the rows
it created instead of duplicating them: a visit is identified by (account,
date, author, type), a requirement by (account, title, raised at). Each visit
and requirement a file creates is announced as the add form and the API
announce theirs (`visit.logged`, `requirement.raised`: visits.outbox), in the
import's transaction; the dry run before the confirmation is rolled back with
its events.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields

from accounts.resources import RowRulesResource
from accounts.selectors import accounts_visible_to
from core.csv_import import RowRejected
from verticals.selectors import is_coo, people_visible_to

from . import outbox
from .models import Requirement, Visit
from .services import (
    REQUIREMENT_COLUMNS,
    VISIT_COLUMNS,
    parse_requirement_row,
    parse_visit_row,
)


class _AccountsAndPeople(RowRulesResource):
    people_columns: tuple[str, ...] = ()

    def prepare(self, dataset, user):
        ids = self.column_values(dataset, "account")
        self.accounts = {
            a.external_id: a for a in accounts_visible_to(user).filter(external_id__in=ids)
        }
        usernames = set().union(*(self.column_values(dataset, c) for c in self.people_columns))
        self.people = {
            u.username: u for u in people_visible_to(user).filter(username__in=usernames)
        }

    def dehydrate_account(self, obj):
        return obj.account.external_id


class VisitResource(_AccountsAndPeople):
    columns = VISIT_COLUMNS
    people_columns = ("author",)

    account = fields.Field(attribute="account", column_name="account")
    visited_on = fields.Field(attribute="visited_on", column_name="visited_on")
    visit_type = fields.Field(attribute="visit_type", column_name="visit_type")
    author = fields.Field(attribute="author", column_name="author")
    purpose = fields.Field(attribute="purpose", column_name="purpose")
    summary = fields.Field(attribute="summary", column_name="summary")
    sentiment = fields.Field(attribute="sentiment", column_name="sentiment")

    class Meta:
        model = Visit
        fields = VISIT_COLUMNS
        import_id_fields = ["account", "visited_on"]
        use_transactions = True
        clean_model_instances = True

    def parse(self, row):
        # As the API and the add form: a visit is logged by its author. Only the COO (or a
        # superuser) brings over another system's history with other people as authors.
        author, importer = row.get("author"), getattr(self.user, "username", None)
        if author and author != importer and not is_coo(self.user):
            raise RowRejected(
                "author",
                _("must be you (%(username)s): a CSM or lead imports only visits they made")
                % {"username": importer},
            )
        return parse_visit_row(row, accounts=self.accounts, people=self.people)

    def existing(self, values):
        return Visit.objects.filter(
            account=values["account"],
            visited_on=values["visited_on"],
            author=values["author"],
            visit_type=values["visit_type"],
        ).first()

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create and instance.pk is not None:
            outbox.visit_logged(instance)

    def dehydrate_visited_on(self, visit):
        return visit.visited_on.isoformat()

    def dehydrate_author(self, visit):
        return visit.author.username


class RequirementResource(_AccountsAndPeople):
    columns = REQUIREMENT_COLUMNS
    people_columns = ("owner",)

    account = fields.Field(attribute="account", column_name="account")
    title = fields.Field(attribute="title", column_name="title")
    description = fields.Field(attribute="description", column_name="description")
    category = fields.Field(attribute="category", column_name="category")
    priority = fields.Field(attribute="priority", column_name="priority")
    status = fields.Field(attribute="status", column_name="status")
    owner = fields.Field(attribute="owner", column_name="owner")
    raised_at = fields.Field(attribute="raised_at", column_name="raised_at")
    first_response_at = fields.Field(attribute="first_response_at", column_name="first_response_at")
    resolved_at = fields.Field(attribute="resolved_at", column_name="resolved_at")

    class Meta:
        model = Requirement
        fields = REQUIREMENT_COLUMNS
        import_id_fields = ["account", "title", "raised_at"]
        use_transactions = True
        clean_model_instances = True

    def parse(self, row):
        return parse_requirement_row(row, accounts=self.accounts, people=self.people)

    def existing(self, values):
        return Requirement.objects.filter(
            account=values["account"], title=values["title"], raised_at=values["raised_at"]
        ).first()

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create and instance.pk is not None:
            outbox.requirements_raised([instance])

    def dehydrate_owner(self, requirement):
        return requirement.owner.username if requirement.owner_id else ""

    @staticmethod
    def _moment(value):
        return timezone.localtime(value).isoformat(sep=" ", timespec="seconds") if value else ""

    def dehydrate_raised_at(self, requirement):
        return self._moment(requirement.raised_at)

    def dehydrate_first_response_at(self, requirement):
        return self._moment(requirement.first_response_at)

    def dehydrate_resolved_at(self, requirement):
        return self._moment(requirement.resolved_at)
