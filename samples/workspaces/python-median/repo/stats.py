"""Descriptive statistics for lists of numbers."""


def mean(values):
    """The arithmetic mean; a ValueError for an empty list."""
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / len(values)


def median(values):
    """The middle value of the sorted values, or the mean of the two middle ones for an even count."""
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]
