"""Small articles several tests ingest."""

# A small German article: three sentences, a date, a number and a name.
TEXT = (
    "Die Stadt Kleinhausen hat am Dienstag einen neuen Bürgermeister gewählt. "
    "Mit 62 Prozent der Stimmen setzte sich Anna Vogel durch. Sie tritt ihr Amt am 1. Juli an."
)
MORE = " Der Stadtrat tagt im August erneut. Die Opposition kündigte Widerstand an."
"""Two sentences more for TEXT: crosses a sentence bound whatever the seeds hold exactly."""
