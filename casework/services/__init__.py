"""Casework writes, one module per feature (STYLE §1): each public function is one transaction."""
