"""Dashboard rules: a condition too costly to run is refused beside it, as the API refuses it."""

from __future__ import annotations

import html
import json

from tests.admin.conftest import Dashboard
from tests.fixtures.admin import api_rules, rule_form
from tests.fixtures.templates import published

WIDE = {
    "all": [
        list(range(2000)),
        {"some": [list(range(2000)), {"==": [{"var": ""}, -1]}]},
    ]
}


def test_a_costly_condition_is_refused_beside_it_and_nothing_saved(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="B")
    response = owner.post("/admin/rules", rule_form(badge, condition=json.dumps(WIDE)))
    assert response.status_code == 422
    page = response.text
    message = html.unescape(page.split('id="e-condition" role="alert">', 1)[1].split("</p>", 1)[0])
    assert message.startswith("At /all:")
    assert "may evaluate up to 20,006,002 operations per event; the limit is 100,000" in message
    assert message.endswith("iterate over fewer items or nest fewer loops")
    assert api_rules(owner) == []
