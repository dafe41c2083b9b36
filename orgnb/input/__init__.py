"""What the operator gives the kit, checked before any AWS call: the parameters model, its schema, the YAML reader, AWS's naming rules."""
