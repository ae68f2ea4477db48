"""403 and 404 answer with the site's own page (its top bar and a way back), not a bare line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_csm_opening_the_pipeline_gets_the_sites_403_page(client, csm):
    client.force_login(csm)
    response = client.get("/pipeline/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "Only the COO and vertical leads review the pipeline." in html
    assert 'href="/admin/"' in html


def test_an_unknown_page_gets_the_sites_404_page(client, csm):
    client.force_login(csm)
    response = client.get("/accounts/no-such-account/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "Page not found" in html
