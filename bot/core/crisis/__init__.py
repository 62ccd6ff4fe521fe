"""A crisis's life: declaring it (recorded steps), its timeline, updates and notes, resolving it."""
