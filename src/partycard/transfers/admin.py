"""No admin for transfers: every write goes through the services (the pages and the API)."""
