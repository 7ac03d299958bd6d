"""The party member registry: the organisation tree, members, their history, search, import and export."""
