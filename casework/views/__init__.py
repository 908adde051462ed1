"""Staff pages and the public 掌上办 pages of the one-window workflow, one module per feature."""
