"""Turn a framework, a stage and the facts of a case into a first draft, and lint edited drafts.

The draft is a starting point a person adapts, never a reply to paste: so a missing required
fact stops the draft (nothing is guessed), and a missing optional one shows as a visible
``[PLACEHOLDER]`` that the lint keeps flagging until someone replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from jinja2 import Template, TemplateError
from jinja2.exceptions import SecurityError

from bot.core.drafts.frameworks import (
    GENERIC,
    LANGUAGES,
    STAGES,
    Framework,
    LintFinding,
    MissingVariablesError,
    Network,
    RenderedDraft,
    Variable,
)
from bot.core.model.errors import CrisisError, UsageError
from bot.datafiles.yaml import did_you_mean
from bot.frameworks.lint import AvoidPhrase, LintRules, Style, lint_text, markers


class DraftTemplateError(CrisisError):
    """A framework template failed while rendering: a bug in the library, not in the request."""


@dataclass(frozen=True)
class LoadedFramework:
    """A framework that passed every load check, with its compiled templates.

    ``uses`` holds the variables each template reads, so a draft only asks for the facts it
    actually needs (the troll acknowledgement does not need to know what we got wrong).
    """

    id: str
    framework: Framework
    network: Network
    folder: Path
    templates: Mapping[tuple[str, str], Template] = field(default_factory=dict)
    uses: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)


class JinjaDraftRenderer:
    """The ``DraftRenderer`` port over the framework library (see :func:`load_library`)."""

    def __init__(
        self,
        frameworks: Mapping[str, LoadedFramework],
        style: Style | None = None,
        networks: Mapping[str, Network] | None = None,
    ) -> None:
        self._loaded = dict(frameworks)
        self._style = style or Style()
        self._networks = dict(networks or {})
        for lf in self._loaded.values():
            self._networks.setdefault(lf.framework.network, lf.network)
        self._frameworks = MappingProxyType({fid: lf.framework for fid, lf in self._loaded.items()})

    def frameworks(self) -> Mapping[str, Framework]:
        """Scenario id (or ``generic``) -> framework, for every framework that loaded cleanly."""
        return self._frameworks

    def network(self, name: str) -> Network:
        """The network ``name`` (a framework's ``network`` id), with its length limit."""
        if name not in self._networks:
            raise UsageError(f"Unknown network '{name}'.", hint=did_you_mean(name, self._networks))
        return self._networks[name]

    def framework_id(self, scenario: str) -> str:
        """The framework used for ``scenario``: its own, else ``generic``."""
        if scenario in self._loaded:
            return scenario
        if GENERIC in self._loaded:
            return GENERIC
        known = ", ".join(sorted(self._loaded)) or "none"
        raise UsageError(
            f"There is no message framework for '{scenario}', and no generic one to fall back on.",
            hint=f"Frameworks available: {known}. Restore message_frameworks/{GENERIC}/ and reload.",
        )

    def variables(self, scenario: str, stage: str, lang: str) -> frozenset[str]:
        """The facts the template of ``stage`` in ``lang`` reads: all a draft of it may ask for."""
        _check_stage_and_lang(stage, lang)
        return self._loaded[self.framework_id(scenario)].uses[(stage, lang)]

    def render(self, scenario: str, stage: str, lang: str, values: Mapping[str, str]) -> RenderedDraft:
        """Render the first draft of ``stage`` in ``lang``.

        Values are handed to the template as plain strings: Jinja inserts them and never reads
        them as template code, so ``{{ 7*7 }}`` or ``<!here>`` typed in chat stays literal text.
        """
        loaded = self._loaded[self.framework_id(scenario)]
        _check_stage_and_lang(stage, lang)
        fw = loaded.framework
        used = loaded.uses[(stage, lang)]
        given = {name: value.strip() for name, value in values.items() if isinstance(value, str)}
        needed = {name: var for name, var in fw.variables.items() if name in used}
        missing = {
            name: _label(var, lang, name) for name, var in needed.items() if var.required and not given.get(name)
        }
        if missing:
            raise MissingVariablesError(missing)
        context = {name: given.get(name) or f"[{var.placeholder}]" for name, var in needed.items()}
        template = loaded.templates[(stage, lang)]
        try:
            text = template.render(context).strip()
        except SecurityError:
            raise
        except TemplateError as exc:
            where = loaded.folder / f"{stage}.{lang}.j2"
            raise DraftTemplateError(
                f"The {stage} template of the '{loaded.id}' framework failed: {exc}",
                hint=f"Fix {where}, then run the framework check.",
            ) from exc
        return RenderedDraft(
            scenario=scenario,
            stage=stage,
            lang=lang,
            text=text,
            talking_points=[point.text.get(lang, point.id) for point in fw.stages[stage].talking_points],
            network=loaded.network.name,
            limit=loaded.network.limit,
            tone=list(fw.tone.get(lang, [])),
            placeholders=markers(text),
        )

    def lint(self, scenario: str, stage: str, lang: str, text: str) -> list[LintFinding]:
        """What a reviewer would flag in ``text`` (usually an edited draft), each with its reason."""
        return lint_text(text, self.rules(scenario, stage, lang))

    def rules(self, scenario: str, stage: str, lang: str) -> LintRules:
        """The lint rules for a framework stage: network limit, avoided phrases, talking points."""
        loaded = self._loaded[self.framework_id(scenario)]
        _check_stage_and_lang(stage, lang)
        fw = loaded.framework
        own = fw.name.get(lang) or loaded.id
        extra = [AvoidPhrase(p, f"on the avoid list of the {own} framework") for p in fw.avoid.get(lang, [])]
        return LintRules(
            network=loaded.network,
            lang=lang,
            avoid=[*self._style.avoid.get(lang, []), *extra],
            points=fw.stages[stage].talking_points,
            allow_caps=self._style.allow_caps,
        )


def _check_stage_and_lang(stage: str, lang: str) -> None:
    if stage not in STAGES:
        raise UsageError(f"Unknown stage '{stage}'.", hint=did_you_mean(stage, STAGES))
    if lang not in LANGUAGES:
        raise UsageError(f"Unknown language '{lang}'.", hint=did_you_mean(lang, LANGUAGES))


def _label(var: Variable, lang: str, name: str) -> str:
    return var.label.get(lang) or var.label.get("en") or name
