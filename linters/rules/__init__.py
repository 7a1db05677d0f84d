"""Built-in rules: one module per rule id. A new module here is picked up by the registry."""
