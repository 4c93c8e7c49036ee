"""The audit log's page and export, with Chinese names for every area's objects and values."""
