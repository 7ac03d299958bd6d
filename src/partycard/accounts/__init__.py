"""Users, their organisation and role. (Roles and two-factor login are completed in the access issue.)"""
