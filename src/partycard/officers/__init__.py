"""Officer accounts managed by committee officers for their subtree, without the Django admin."""
