"""Chinese and English: the catalog is complete and compiled, and people switch language in the admin."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) of each entry of a .po file, header and obsolete ones skipped."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[0\])?) (\".*\")$", line)
            if match:
                key = match.group(1).replace("[0]", "")
                fields.setdefault(key, "")
                fields[key] += eval(match.group(2))  # a quoted C string
            elif line.startswith('"') and key:
                fields[key] += eval(line)
        if fields.get("msgid"):
            entries.append((fields["msgid"], fields.get("msgstr", ""), fuzzy))
    return entries


def test_every_string_has_a_chinese_translation_and_the_mo_is_compiled():
    entries = po_entries(LOCALE / "django.po")
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert not untranslated
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr, _ in entries if catalog._catalog.get(msgid) is None]
    stale = [m for m in stale if (m, 0) not in catalog._catalog]
    assert not stale, "django.mo is older than django.po: run compilemessages"


@pytest.mark.django_db
def test_a_csm_switches_the_admin_to_chinese_and_back(client, csm):
    client.force_login(csm)
    index = reverse("admin:index")
    assert "My day" in client.get(index).content.decode()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": index})
    assert response.status_code == 302
    body = client.get(index).content.decode()
    assert "我的一天" in body
    assert "我的未结需求" in body
    assert 'lang="zh-hans"' in body
    client.post(reverse("set_language"), {"language": "en", "next": index})
    assert "My day" in client.get(index).content.decode()


@pytest.mark.django_db
def test_the_language_switcher_is_on_the_login_page(client):
    body = client.get(reverse("admin:login")).content.decode()
    assert 'id="frontline-language"' in body
    assert "简体中文" in body


@pytest.mark.django_db
def test_the_csm_pages_render_in_chinese(client, csm, own):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    client.force_login(lead)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/admin/"})
    pages = {
        reverse("admin:index"): "我的一天",
        reverse("admin:visits_visit_cadence"): "每人每周拜访节奏",
        reverse("admin:accounts_account_change", args=[own.account.pk]): "记录拜访",
        reverse("admin:visits_requirement_changelist")
        + "?mine=yes&state=open": "逾期：未在 SLA 内首次响应",
        reverse("admin:visits_actionitem_changelist") + "?due=week": "到期",
        reverse("admin:visits_visit_add") + f"?account={own.account.pk}": "客户参加人员",
    }
    for url, words in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert words in response.content.decode(), url
