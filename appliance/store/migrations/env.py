"""Alembic environment: runs against the engine the appliance hands over, or inside
a transaction it holds (``connection``: a copy to another database commits the schema
together with the rows)."""

from alembic import context

from appliance.store.schema import Base

held = context.config.attributes.get("connection")


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if held is not None:
    _run(held)
else:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        _run(connection)
        connection.commit()
