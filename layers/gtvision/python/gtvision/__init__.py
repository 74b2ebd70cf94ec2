"""GT-Vision domain package: settings, data access, logic and API blueprints shared by every function."""
