"""Several people signing in at once (a classroom on the demo's SQLite) never get a 500."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade

from lms import create_app
from lms.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo_company
from lms.extensions import db
from tests.conftest import CsrfClient, make_test_config

pytestmark = pytest.mark.own_database


@pytest.fixture
def classroom_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url("classroom")),
                     instance_path=str(tmp_path))
    app.test_client_class = CsrfClient
    with app.app_context():
        upgrade()
        seed_demo_company(manual_pdfs=False)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_concurrent_sign_ins_and_failures(classroom_app):
    def session_of(person_index: int) -> list[int]:
        username = DEMO_PEOPLE[person_index % len(DEMO_PEOPLE)].username
        client = classroom_app.test_client()
        statuses = []
        for attempt in range(4):
            password = DEMO_PASSWORD if attempt % 2 == 0 else "wrong-password"
            statuses.append(client.post("/login", data={"username": username,
                                                        "password": password}).status_code)
            if statuses[-1] == 302:
                statuses.append(client.get("/").status_code)
                statuses.append(client.post("/logout", data={}).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [status for statuses in pool.map(session_of, range(16)) for status in statuses]
    assert 500 not in results
    assert set(results) <= {200, 302, 401, 429}
    assert results.count(302) >= 16
