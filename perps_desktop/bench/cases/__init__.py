"""One module per benchmark row; each exposes CASE."""
