"""The API's JSON body parser: DRF's, with the limits a hostile body must not get past.

DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
is applied here; nesting is bounded (Python's json raises RecursionError on
a few thousand `[`, and no body of this API nests more than a few levels);
strings must be encodable as UTF-8 (JSON's `\\ud800` escape decodes to a lone
surrogate that the database driver and the renderer cannot encode). Each
refusal is a 400 in the error envelope naming the field where it can.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

# Deeper than any body of this API (a feed row inside the list is depth 2).
MAX_DEPTH = 20
_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyRefused(ParseError):
    """A 400 about the body; `field` names the place in it (dotted path), or None."""

    def __init__(self, reason, field: str | None = None):
        super().__init__(reason)
        self.field = field


def _join(path: str | None, key) -> str:
    return str(key) if path is None else f"{path}.{key}"


def check_body(data) -> None:
    """BodyRefused for nesting deeper than MAX_DEPTH or a string holding a lone surrogate."""
    stack = [(data, None, 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BodyRefused(_("Contains a lone surrogate, which is not valid Unicode."), path)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise BodyRefused(
                _("The body is nested deeper than %(n)d levels.") % {"n": MAX_DEPTH}, path
            )
        if isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise BodyRefused(
                        _("A key contains a lone surrogate, which is not valid Unicode."), path
                    )
                stack.append((item, _join(path, key), depth + 1))
        else:
            stack.extend((item, _join(path, n), depth + 1) for n, item in enumerate(value))


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise BodyRefused(_("The body is larger than %(n)d bytes.") % {"n": limit})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise BodyRefused(_("The body is not valid %(enc)s.") % {"enc": encoding}) from None
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise BodyRefused(
                _("The body is nested deeper than %(n)d levels.") % {"n": MAX_DEPTH}
            ) from None
        except ValueError as exc:
            raise BodyRefused(_("JSON parse error - %(error)s") % {"error": exc}) from None
        check_body(data)
        return data
