import pytest

from stats import median


def test_median_of_an_unsorted_even_count():
    assert median([4, 1, 3, 2]) == 2.5


def test_median_of_one_value():
    assert median([7]) == 7


def test_median_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        median([])
