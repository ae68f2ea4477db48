"""Database lock namespaces: every advisory-lock id the project uses, in one registry.

PostgreSQL's two-key advisory locks take (namespace, key); each use of them gets
its own 32-bit namespace here so two features can never take each other's locks.
"""

from __future__ import annotations

# Retired (metrics.compute once locked a whole day, key: the day's ordinal); never reuse.
DAY_RECOMPUTE = 0x46_4C_44  # "FLD"

# metrics.compute: "recomputing these accounts on this day"
# (key: the day's ordinal * 2048 + the bucket of account ids).
DAY_ACCOUNTS_RECOMPUTE = 0x46_4C_42  # "FLB"

# plays.evaluation: "evaluating this play" (key: the play's id).
PLAY_EVALUATION = 0x46_4C_50  # "FLP"
