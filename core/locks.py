"""Database lock namespaces: every advisory-lock id the project uses, in one registry.

PostgreSQL's two-key advisory locks take (namespace, key); each use of them gets
its own 32-bit namespace here so two features can never take each other's locks.
"""

from __future__ import annotations

# metrics.compute: "recomputing this day" (key: the day's ordinal).
DAY_RECOMPUTE = 0x46_4C_44  # "FLD"

# plays.evaluation: "evaluating this play" (key: the play's id).
PLAY_EVALUATION = 0x46_4C_50  # "FLP"
