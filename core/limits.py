"""Length limits of free text that no database column bounds (TextField has no max_length).

Applied where text comes in: the API serializers, every admin form
(verticals.admin_scoping) and the admin imports, so a 2 MB "summary" is
refused with the limit named instead of stored.
"""

FREE_TEXT_MAX_LENGTH = 10_000
