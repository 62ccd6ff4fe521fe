"""Every message the core sends, as neutral blocks each adapter renders natively (Block Kit,
Adaptive Cards, the terminal); the model itself is :mod:`bot.core.messaging.message`."""
