"""Message builders: the customer-facing set (`customer`) and the internal set (`internal`)."""
