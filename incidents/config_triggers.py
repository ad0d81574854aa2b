"""The triggers that bump accounts_production.config_version when what the ladder, handler and contact
caches hold changes (memberships, the escalation policy, its levels, the people named on levels, a member's
email, active or superuser flag; and, since migration 0025, a member's channel choice, phone number or push
subscription, and the warning words the scanner looks for, which every production's version follows; on
PostgreSQL once per statement since 0026), as SQL for PostgreSQL and SQLite.

PostgreSQL gets them from migrations 0014, 0025 and 0026. SQLite gets them after every `migrate`
(incidents.apps): Django remakes a SQLite table to alter it, which drops the triggers on that table and
refuses to drop a table that another table's trigger names, so on SQLite they are dropped before migrating
and created again after."""

from collections.abc import Callable

from django.db import connections, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.recorder import MigrationRecorder

BUMP_ALL = "UPDATE accounts_production SET config_version = config_version + 1"
BUMP = BUMP_ALL + " WHERE id IN ({ids})"
POLICY_OF_LEVEL = "SELECT production_id FROM incidents_escalationpolicy WHERE id = {row}.policy_id"
POLICY_OF_LEVEL_ID = (
    "SELECT p.production_id FROM incidents_escalationpolicy p JOIN incidents_escalationlevel l "
    "ON l.policy_id = p.id WHERE l.id = {row}.escalationlevel_id"
)
# The productions a person is a member of or named on a level of, with {user} the person's id as SQL.
PRODUCTIONS_OF = (
    "SELECT production_id FROM accounts_membership WHERE user_id = {user} "
    "UNION SELECT p.production_id FROM incidents_escalationpolicy p "
    "JOIN incidents_escalationlevel l ON l.policy_id = p.id "
    "JOIN incidents_escalationlevel_people lp ON lp.escalationlevel_id = l.id WHERE lp.user_id = {user}"
)
PRODUCTIONS_OF_USER = PRODUCTIONS_OF.format(user="NEW.id")
USER_CHANGED = (
    "OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.is_superuser IS DISTINCT FROM NEW.is_superuser "
    "OR OLD.email IS DISTINCT FROM NEW.email"
)
# (table, the production ids of a row as SQL with {row} for OLD or NEW)
ROW_TABLES = [
    ("accounts_membership", "{row}.production_id"),
    ("incidents_escalationpolicy", "{row}.production_id"),
    ("incidents_escalationlevel", POLICY_OF_LEVEL),
    ("incidents_escalationlevel_people", POLICY_OF_LEVEL_ID),
]
WARNING_WORDS = "incidents_warningterm"
# Migration 0025: what reaches a person (selectors.contacts), for their productions; the warning words
# (services.firearm_flags.scanner_for), shared by every production.
TABLES_0025 = [
    ("incidents_channelpreference", PRODUCTIONS_OF.format(user="{row}.user_id")),
    ("incidents_pushsubscription", PRODUCTIONS_OF.format(user="{row}.user_id")),
    ("incidents_phonenumber", PRODUCTIONS_OF.format(user="{row}.user_id")),
    (WARNING_WORDS, "SELECT id FROM accounts_production"),
]


def _postgresql_rows(tables: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table, ids in tables:
        function = f"{table}_config_touch"
        old_ids, new_ids = ids.format(row="OLD"), ids.format(row="NEW")
        create.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {BUMP.format(ids=old_ids)}; END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {BUMP.format(ids=new_ids)}; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();"""
        )
        drop.append(f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();")
    return create, drop


def _postgresql() -> tuple[list[str], list[str]]:
    create, drop = _postgresql_rows(ROW_TABLES)
    create.append(
        f"""CREATE OR REPLACE FUNCTION accounts_user_config_touch() RETURNS trigger AS $$
BEGIN
    {BUMP.format(ids=PRODUCTIONS_OF_USER)};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_user_config_touch AFTER UPDATE ON accounts_user
    FOR EACH ROW WHEN ({USER_CHANGED}) EXECUTE FUNCTION accounts_user_config_touch();"""
    )
    drop.append(
        "DROP TRIGGER IF EXISTS accounts_user_config_touch ON accounts_user; "
        "DROP FUNCTION IF EXISTS accounts_user_config_touch();"
    )
    return create, drop


def _sqlite_rows(tables: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table, ids in tables:
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            name = f"{table}_config_touch_{event.lower()}"
            body = " ".join(BUMP.format(ids=ids.format(row=row)) + ";" for row in rows)
            create.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END;")
            drop.append(f"DROP TRIGGER IF EXISTS {name};")
    return create, drop


def _sqlite() -> tuple[list[str], list[str]]:
    create, drop = _sqlite_rows(ROW_TABLES)
    user_changed = USER_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    create.append(
        "CREATE TRIGGER accounts_user_config_touch AFTER UPDATE ON accounts_user FOR EACH ROW "
        f"WHEN {user_changed} BEGIN {BUMP.format(ids=PRODUCTIONS_OF_USER)}; END;"
    )
    drop.append("DROP TRIGGER IF EXISTS accounts_user_config_touch;")
    return create, drop


def _rows(vendor: str, tables: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return _postgresql_rows(tables)
    if vendor == "sqlite":
        return _sqlite_rows(tables)
    raise NotImplementedError(f"config_version triggers for {vendor}")


def statements(vendor: str) -> tuple[list[str], list[str]]:
    """Migration 0014's triggers: (create, drop)."""
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    raise NotImplementedError(f"config_version triggers for {vendor}")


def statements_0025(vendor: str) -> tuple[list[str], list[str]]:
    """Migration 0025's triggers: (create, drop)."""
    return _rows(vendor, TABLES_0025)


def statements_0026(vendor: str) -> tuple[list[str], list[str]]:
    """Migration 0026's triggers: (create, drop). On PostgreSQL the warning words bump every production once
    per statement instead of once per row (an import of thousands of words in one INSERT is one bump, not
    thousands of updates of every production); SQLite has row triggers only and keeps 0025's."""
    if vendor != "postgresql":
        return [], []
    row_create, row_drop = _postgresql_rows([(table, ids) for table, ids in TABLES_0025 if table == WARNING_WORDS])
    function = f"{WARNING_WORDS}_config_touch_statement"
    create = f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    {BUMP_ALL};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {WARNING_WORDS}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();"""
    drop = f"DROP TRIGGER IF EXISTS {function} ON {WARNING_WORDS}; DROP FUNCTION IF EXISTS {function}();"
    return [*row_drop, create], [drop, *row_create]


Statements = Callable[[str], tuple[list[str], list[str]]]
# Each migration that adds triggers, and its statements (SQLite's are made again after every migrate).
BY_MIGRATION: dict[tuple[str, str], Statements] = {
    ("incidents", "0014_config_version_triggers"): statements,
    ("incidents", "0025_contact_and_scanner_config_triggers"): statements_0025,
    ("incidents", "0026_warning_words_trigger_per_statement"): statements_0026,
}


def run_sql(statements: Statements) -> migrations.RunPython:
    """The operation of a migration that adds triggers: PostgreSQL gets them now, SQLite after every
    migrate (`sqlite_create`); reversed, they are dropped."""

    def forwards(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            return
        for statement in statements(schema_editor.connection.vendor)[0]:
            schema_editor.execute(statement, params=None)

    def backwards(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for statement in statements(schema_editor.connection.vendor)[1]:
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(forwards, backwards)


def sqlite_drop(*, using: str, **kwargs: object) -> None:
    """pre_migrate: drop SQLite's config triggers so a migration may remake the tables they name."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statements_of in BY_MIGRATION.values():
            for statement in statements_of("sqlite")[1]:
                cursor.execute(statement)


def sqlite_create(*, using: str, **kwargs: object) -> None:
    """post_migrate: create each migration's triggers again once the database has that migration (and so
    every table they name)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    with connection.cursor() as cursor:
        for migration, statements_of in BY_MIGRATION.items():
            if migration in applied:
                create, drop = statements_of("sqlite")
                for statement in drop + create:
                    cursor.execute(statement)
