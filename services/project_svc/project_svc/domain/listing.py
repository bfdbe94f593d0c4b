"""The sort keys a project list accepts (shared by the schema and the repository)."""
SORT_FIELDS = ("created_at", "updated_at", "order_id", "completed_at")
SORT_CHOICES = tuple(f"{sign}{f}" for f in SORT_FIELDS for sign in ("", "-"))
