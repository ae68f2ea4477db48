"""Signals the metrics app sends, so higher apps (plays) can react without metrics importing them."""

from django.dispatch import Signal

# Sent after the daily status of one day has been recomputed and committed, with
# `day` (a date) and `accounts` (a compute.AccountFilter: which accounts were recomputed).
day_recomputed = Signal()
