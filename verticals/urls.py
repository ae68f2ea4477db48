"""Pages of the COO's pipeline review."""

urlpatterns: list = []
