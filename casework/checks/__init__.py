"""Economic-check plumbing: department adapters (``adapters``) and the pure comparison (``compare``)."""
