"""Social listening: mentions taken in from listening tools, kept as evidence."""
