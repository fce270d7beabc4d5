"""A price asked by its comparative ("Warum wurde die Halle teurer?") is found where the
article says "Mehrkosten" (``lexicon.MEASURE_WORDS``): the real model, retriever and HTTP
over a small article of our own (written for this test: place and figures invented)."""

from fastapi.testclient import TestClient

from tests.helpers.checks import ask_exact, post_articles

HALL = (
    "Stadthalle Wernau wieder offen\n\n"
    "Wernau, 12. Mai 2025 – Nach zwei Jahren Sanierung ist die Stadthalle in Wernau wieder "
    "geöffnet. Die Halle bietet Platz für 800 Gäste. Die Sanierung kostete 6,1 Millionen "
    "Euro, rund eine Million mehr als geplant. Grund für die Mehrkosten waren Schäden am "
    "Dachstuhl. Die alte Halle war 2019 wegen Rissen in der Decke geschlossen worden."
)


def test_why_it_became_dearer_cites_the_reason_for_the_extra_costs(client: TestClient) -> None:
    post_articles(client, [("halle", None, HALL)])
    body = ask_exact(client, "Warum wurde die Stadthalle teurer?")
    assert body["abstained"] is False, body
    assert "Schäden am Dachstuhl" in body["citations"][0]["quote"], body
