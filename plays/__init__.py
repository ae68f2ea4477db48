"""Plays: rules that turn a signal into work (filled by the plays issue)."""
