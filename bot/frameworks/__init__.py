"""Message frameworks rendered with Jinja2: first drafts for each crisis stage, and their lint.

The core only knows the ``DraftRenderer`` port (:mod:`bot.core.ports`); this package is its
implementation over the files in ``message_frameworks/``. Use :func:`load_library` to get a
renderer and the list of problems found in those files.
"""

from bot.frameworks.library import DEFAULT_FRAMEWORKS_PATH, load_library
from bot.frameworks.lint import AvoidPhrase, LintRules, Style, lint_text
from bot.frameworks.renderer import DraftTemplateError, JinjaDraftRenderer, LoadedFramework

__all__ = [
    "DEFAULT_FRAMEWORKS_PATH",
    "AvoidPhrase",
    "DraftTemplateError",
    "JinjaDraftRenderer",
    "LintRules",
    "LoadedFramework",
    "Style",
    "lint_text",
    "load_library",
]
