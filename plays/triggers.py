"""The eight triggers of docs/plays.md's table: codes, parameters and their defaults.

Each trigger's parameters are validated here (the admin form and the model's
`clean()` call `validate_parameters`); the evaluation reads a play's
parameters through `parameters_with_defaults`, so a play saved before a
parameter existed still evaluates with the documented default.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import SizeTier
from verticals.models import Role
from visits.models import Priority


class Trigger(models.TextChoices):
    LEVEL_DROPPED = "level_dropped", _("Deep-integration level dropped")
    TURNED_RED = "turned_red", _("Health turned red")
    DAG_RATE_FELL = "dag_rate_fell", _("DAG rate fell")
    CONNECTOR_SILENT = "connector_silent", _("Connector fell silent")
    NEAR_DEEP = "near_deep", _("One criterion short of deep integration")
    RENEWAL_AT_RISK = "renewal_at_risk", _("Renewal at risk")
    REQUIREMENT_OVERDUE = "requirement_overdue", _("Requirement overdue")
    NO_RECENT_VISIT = "no_recent_visit", _("No recent visit")


# Evaluated hourly by beat as well: they depend on the clock or on visits and
# requirements, not only on the recomputed daily status.
TIME_BASED = (Trigger.REQUIREMENT_OVERDUE, Trigger.RENEWAL_AT_RISK, Trigger.NO_RECENT_VISIT)


class OwnerRole(models.TextChoices):
    CSM = Role.CSM.value, Role.CSM.label
    LEAD = Role.LEAD.value, Role.LEAD.label
    SA = Role.SA.value, Role.SA.label


# Priorities in increasing order, for `min_priority`.
PRIORITY_ORDER = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL]
# Size tiers in increasing order, for `min_tier`.
TIER_ORDER = [SizeTier.SMALL, SizeTier.MID, SizeTier.LARGE, SizeTier.XLARGE, SizeTier.GIANT]


@dataclass(frozen=True)
class Parameter:
    """One parameter: its default and what values it accepts."""

    default: object
    kind: str  # "days", "fraction", "priority" or "tier"

    def error(self, value) -> str | None:
        """Why `value` is not acceptable, or None."""
        if self.kind == "days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
                return str(_("Must be a whole number of days from 1 to 366."))
        elif self.kind == "fraction":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                return str(_("Must be a number between 0 and 1 (exclusive)."))
        elif self.kind == "priority":
            if value not in [p.value for p in PRIORITY_ORDER]:
                return str(_("Must be one of: %s.") % ", ".join(p.value for p in PRIORITY_ORDER))
        elif self.kind == "tier" and value not in [t.value for t in TIER_ORDER]:
            return str(_("Must be one of: %s.") % ", ".join(t.value for t in TIER_ORDER))
        return None


@dataclass(frozen=True)
class TriggerSpec:
    parameters: dict[str, Parameter]
    owner_role: str


SPECS: dict[str, TriggerSpec] = {
    Trigger.LEVEL_DROPPED: TriggerSpec({"lookback_days": Parameter(7, "days")}, OwnerRole.CSM),
    Trigger.TURNED_RED: TriggerSpec({"lookback_days": Parameter(7, "days")}, OwnerRole.CSM),
    Trigger.DAG_RATE_FELL: TriggerSpec(
        {"lookback_days": Parameter(28, "days"), "min_drop": Parameter(0.2, "fraction")},
        OwnerRole.CSM,
    ),
    Trigger.CONNECTOR_SILENT: TriggerSpec(
        {"active_days": Parameter(7, "days"), "silent_days": Parameter(3, "days")}, OwnerRole.SA
    ),
    Trigger.NEAR_DEEP: TriggerSpec({"margin": Parameter(0.25, "fraction")}, OwnerRole.CSM),
    Trigger.RENEWAL_AT_RISK: TriggerSpec({"days": Parameter(90, "days")}, OwnerRole.LEAD),
    Trigger.REQUIREMENT_OVERDUE: TriggerSpec(
        {"min_priority": Parameter(Priority.HIGH.value, "priority")}, OwnerRole.LEAD
    ),
    Trigger.NO_RECENT_VISIT: TriggerSpec(
        {"min_tier": Parameter(SizeTier.LARGE.value, "tier"), "days": Parameter(45, "days")},
        OwnerRole.CSM,
    ),
}


def default_parameters(trigger: str) -> dict:
    return {name: p.default for name, p in SPECS[trigger].parameters.items()}


def parameters_with_defaults(trigger: str, parameters: dict | None) -> dict:
    return {**default_parameters(trigger), **(parameters or {})}


def validate_parameters(trigger: str, parameters) -> dict[str, str]:
    """{parameter name: why it is wrong} for a play's parameters (empty when they are fine)."""
    if trigger not in SPECS:
        return {}
    if not isinstance(parameters, dict):
        return {"parameters": str(_("Must be an object of parameter names and values."))}
    known = SPECS[trigger].parameters
    errors = {}
    for name, value in parameters.items():
        if name not in known:
            errors[name] = str(
                _("Unknown parameter of this trigger; it takes: %s.") % ", ".join(known)
            )
            continue
        problem = known[name].error(value)
        if problem:
            errors[name] = problem
    return errors
