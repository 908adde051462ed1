"""Staff pages of the charity hand-off, one module per feature."""
