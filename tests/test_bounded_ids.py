"""Ids in URLs beyond what a database can hold are 404s, not 500s (an app-wide ``int``)."""

from __future__ import annotations

import pytest
from werkzeug.routing import ValidationError

from lms import MAX_URL_INT, BoundedIntegerConverter

TOO_BIG = "99999999999999999999"  # > 2**63 as well as > 2**31


def test_the_int_converter_is_bounded(app):
    assert app.url_map.converters["int"] is BoundedIntegerConverter
    converter = BoundedIntegerConverter(app.url_map)
    assert converter.to_python(str(MAX_URL_INT)) == MAX_URL_INT
    with pytest.raises(ValidationError):
        converter.to_python(str(MAX_URL_INT + 1))


@pytest.mark.parametrize("path", [
    f"/manage/question-banks/{TOO_BIG}/",
    f"/manage/attempts/{TOO_BIG}",
    f"/manage/quizzes/{TOO_BIG}/statistics",
    f"/manage/quizzes/{TOO_BIG}/attempts",
    f"/manage/quizzes/{MAX_URL_INT + 1}/statistics",
])
def test_huge_ids_on_trainer_pages_are_not_found(path, login_as, client):
    login_as("trainer1", roles=("trainer",))
    assert client.get(path).status_code == 404


def test_huge_ids_on_learner_pages_are_not_found(login_as, client):
    login_as("learner1")
    assert client.get(f"/quiz/attempts/{TOO_BIG}").status_code == 404
    assert client.get(f"/quiz/attempts/{TOO_BIG}/review").status_code == 404
    assert client.get(f"/quiz/attempts/{MAX_URL_INT}").status_code == 404


def test_huge_user_ids_are_not_found(login_as, client):
    login_as("admin1", roles=("admin",))
    assert client.get(f"/admin/users/{TOO_BIG}").status_code == 404
