"""The public holidays deadlines skip, as Koppel's domain module computes them (`koppel calendar holidays`), are exactly
those the `holidays` package on PyPI gives for the Netherlands and Belgium, every year from 2020 to 2040."""
import os
import subprocess

import holidays
import pytest


@pytest.mark.parametrize("country", ["NL", "BE"])
def test_koppels_holidays_are_the_holidays_package_s(country):
    printed = subprocess.run([os.environ["KOPPEL_TEST_BIN"], "calendar", "holidays", "--country", country, "--from", "2020", "--through", "2040"],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    ours = {line.split(" ")[0] for line in printed}
    theirs = {day.isoformat() for day in holidays.country_holidays(country, years=range(2020, 2041))}
    assert len(printed) == len(ours), "no day twice"
    assert ours - theirs == set(), f"days Koppel skips that are no holiday in {country}"
    assert theirs - ours == set(), f"holidays in {country} Koppel would count as working days"
    assert len(ours) > 21 * 9
