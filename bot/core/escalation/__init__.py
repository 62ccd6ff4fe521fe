"""The chain of command in motion: severity changes, lead hand-overs, pages that climb."""
