"""Counted nouns that read right for one: "1 problem", "3 problems".

Messages and log lines say how many of something there are; written as
"%d problems" they read "1 problems" for one. These say the number and the
noun (and a verb that agrees with them) in one place.
"""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 problem", "2 problems", "1,200 vehicles"; plural for irregular nouns."""
    word = noun if count == 1 else plural or noun + "s"
    return f"{count:,} {word}"


def agreeing(count: int, singular: str, plural: str) -> str:
    """The verb that goes with count: agreeing(1, "is", "are") is "is"."""
    return singular if count == 1 else plural
