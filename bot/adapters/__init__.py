"""Adapters translate chat platforms to and from the core; the core never imports them."""
