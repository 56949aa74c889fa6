"""Running the Alembic migrations from code (the CLI and the tests).

The migrations ship inside the package (``kommune_ikt/migrations``; in the
source tree a symlink to ``migrations/``), and the Alembic configuration is
built here, so ``kommune-ikt db upgrade`` works from an installed wheel with no
source tree and no ``alembic.ini`` (which stays for the ``alembic`` command in
a checkout).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

PACKAGE = Path(__file__).resolve().parent
MIGRATIONS = PACKAGE / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s_%%(rev)s")
    cfg.set_main_option("truncate_slug_length", "40")
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("timezone", "UTC")
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "-1") -> None:
    command.downgrade(alembic_config(url), revision)
