"""SQL statements per page are counted exactly: they must not grow with the number of rows."""


def _count(client, count_queries, path):
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_dashboard_query_count(login_as, client, count_queries):
    login_as("sales9", job_roles=["sales"])
    # user + session, roles, job roles, role grants, enrolments (none: nothing more to load)
    assert _count(client, count_queries, "/") == 5


def test_user_list_query_count_does_not_grow_with_users(login_as, client, create_user,
                                                         count_queries):
    login_as("admin1", roles=["admin"])
    for number in range(3):
        create_user(f"few{number}", job_roles=["sales"])
    few = _count(client, count_queries, "/admin/users")
    for number in range(30):
        create_user(f"many{number:02d}", job_roles=["warehouse", "sales"])
    many = _count(client, count_queries, "/admin/users")
    assert many == few
    assert many == 12


def test_audit_log_query_count_does_not_grow_with_entries(login_as, client, create_user,
                                                           count_queries):
    login_as("admin1", roles=["admin"])
    few = _count(client, count_queries, "/admin/audit")
    for number in range(30):
        create_user(f"bulk{number:02d}", password=None)
    many = _count(client, count_queries, "/admin/audit")
    assert many == few == 6
