"""Microsoft Teams: the Teams SDK app on crisisbot's aiohttp server, Adaptive Cards, TeamsChat."""

import warnings

# The SDK warns at import that a preview feature crisisbot never uses (HTML widgets) may change:
# a warning at every start teaches operators to skip warnings, the one habit a crisis tool
# cannot afford. Only that one is silenced; any other warning of the SDK still shows.
warnings.filterwarnings("ignore", message=r"HtmlWidgetSecurityPolicy is in preview")
