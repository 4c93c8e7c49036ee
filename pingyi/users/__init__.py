"""User administration (the office): accounts, roles, passwords, sessions, a supervisor's units."""
