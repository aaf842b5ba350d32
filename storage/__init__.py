"""Storage: SQLAlchemy 2 models, repositories (every SQL statement lives here), migrations.

Other packages use ``Database`` to open a unit of work and the repositories it carries.
"""

from storage.db import Database, UnitOfWork

__all__ = ["Database", "UnitOfWork"]
