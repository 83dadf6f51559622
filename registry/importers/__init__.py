"""One module per source format: seed YAML, tables (CSV/XLSX), EWP XML, reference dumps."""
