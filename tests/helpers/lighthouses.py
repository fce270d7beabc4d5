"""HUNT8 H1's two lighthouse articles and question: a sentence with no subject of its own
citing the other lighthouse's span answered for the asked one."""

NORDMARK = (
    "Der Leuchtturm von Hallig Nordmark wurde nach 12 Jahren Renovierung am Freitag wieder "
    "eröffnet. Die Kosten lagen bei 4,5 Millionen Euro."
)
SUEDEROOG = (
    "Der Leuchtturm von Hallig Süderoog wurde nach 12 Jahren Renovierung am Freitag wieder "
    "eröffnet. Die Kosten lagen bei 3,1 Millionen Euro. Bürgermeister Jens Hansen sprach von "
    "einem Festtag für die Insel."
)
Q_COST = "Wie viel kostete die Renovierung des Leuchtturms von Hallig Süderoog?"
