"""One module per target format: tables (CSV/XLSX) and seed YAML; see ``registry.formats``."""
