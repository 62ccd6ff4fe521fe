"""Load the message-framework library from disk, reporting every problem as file:line: key: fix.

The library is edited by hand, by the comms team, often in a hurry. So every file is checked the
way the plan is (pydantic for the shape, then what pydantic cannot see: unknown networks, missing
stages or templates, templates using undeclared variables or Python internals), and a broken
framework is reported and left out while the others keep working. One typo in one template must
never take drafting down for every scenario; ``generic`` covers the gap meanwhile.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Template, TemplateSyntaxError, meta
from pydantic import Field, ValidationError

from bot.core.drafts.frameworks import GENERIC, LANGUAGES, STAGES, Framework, Network
from bot.core.model.base import Strict
from bot.datafiles.validation import validation_issues
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, did_you_mean, load_yaml
from bot.frameworks.lint import AvoidPhrase, Style
from bot.frameworks.renderer import JinjaDraftRenderer, LoadedFramework
from bot.frameworks.sandbox import FrameworkSandbox, make_environment, unsafe_lookups, variable_line

DEFAULT_FRAMEWORKS_PATH = Path("message_frameworks")
FRAMEWORK_FILE = "framework.yaml"
NETWORKS_FILE = "networks.yaml"
STYLE_FILE = "style.yaml"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class AvoidEntry(Strict):
    phrase: str = Field(min_length=1)
    why: str = Field(min_length=1, max_length=120)


class StyleFile(Strict):
    """``style.yaml``: phrases every framework avoids, and capitalised words that are not shouting."""

    avoid: dict[str, list[AvoidEntry]] = Field(default_factory=dict)
    allow_caps: list[str] = Field(default_factory=list)


def template_name(stage: str, lang: str) -> str:
    return f"{stage}.{lang}.j2"


def load_library(root: Path) -> tuple[JinjaDraftRenderer, list[DataIssue]]:
    """Load ``root`` (networks.yaml, style.yaml, one folder per framework).

    Returns a renderer over every framework that passed its checks, and every issue found. An
    empty issue list means the library is clean; the caller decides whether issues are fatal
    (a check command) or logged (the running bot, which keeps drafting with what loaded).
    """
    issues: list[DataIssue] = []
    if not root.is_dir():
        fix = f"create it, or point to the right folder ({root.resolve()})"
        return JinjaDraftRenderer({}), [DataIssue(root, (), "the message-framework folder does not exist", fix)]
    env = make_environment()
    networks = _load_networks(root / NETWORKS_FILE, issues)
    style = _load_style(root / STYLE_FILE, issues)
    loaded: dict[str, LoadedFramework] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        framework = _load_framework(folder, networks, env, issues)
        if framework is not None:
            loaded[framework.id] = framework
    if GENERIC not in loaded:
        exists = (root / GENERIC).is_dir()
        message = "the generic framework did not load (see above)" if exists else "there is no generic framework"
        fix = f"fix or restore {root / GENERIC}/: scenarios without their own framework are drafted with it"
        issues.append(DataIssue(root / GENERIC, (), message, fix))
    return JinjaDraftRenderer(loaded, style, networks), issues


def _load_doc(path: Path, issues: list[DataIssue], what: str, example: str) -> YamlDocument | None:
    """The parsed file if it is a mapping; otherwise the problem is added to ``issues``."""
    try:
        doc = load_yaml(path)
    except DataFileError as exc:
        issues.extend(exc.issues)
        return None
    if not isinstance(doc.data, dict):
        issues.append(doc.issue((), f"{what} must be a mapping of keys", f"start from {example}"))
        return None
    return doc


def _load_networks(path: Path, issues: list[DataIssue]) -> dict[str, Network]:
    """Each network on its own, so one bad entry only disables the frameworks that use it."""
    doc = _load_doc(path, issues, "networks.yaml", "'x: {name: X (Twitter), limit: 280}'")
    networks: dict[str, Network] = {}
    if doc is None:
        return networks
    for key, value in doc.data.items():
        if not isinstance(key, str) or not _ID.fullmatch(key):
            fix = "rename it: start with a lowercase letter; use a-z, 0-9 and '_'"
            issues.append(doc.issue((str(key),), f"the network id '{key}' is not valid", fix))
            continue
        try:
            networks[key] = Network.model_validate(value)
        except ValidationError as exc:
            issues.extend(validation_issues(doc, exc, (key,), model=Network))
    return networks


def _load_style(path: Path, issues: list[DataIssue]) -> Style:
    """The house style; a broken style file costs the avoid-phrase lint, never the drafts."""
    doc = _load_doc(path, issues, "style.yaml", "'avoid: {en: [{phrase: ..., why: ...}]}'")
    if doc is None:
        return Style()
    try:
        data = StyleFile.model_validate(doc.data)
    except ValidationError as exc:
        issues.extend(validation_issues(doc, exc, model=StyleFile))
        return Style()
    for lang in data.avoid:
        if lang not in LANGUAGES:
            issues.append(doc.issue(("avoid", lang), f"unknown language '{lang}'", did_you_mean(lang, LANGUAGES)))
    avoid = {lang: [AvoidPhrase(e.phrase, e.why) for e in entries] for lang, entries in data.avoid.items()}
    return Style(avoid=avoid, allow_caps=frozenset(data.allow_caps))


def _load_framework(
    folder: Path, networks: dict[str, Network], env: FrameworkSandbox, issues: list[DataIssue]
) -> LoadedFramework | None:
    """One framework folder, or None (with the reasons in ``issues``) if it cannot be used."""
    if not _ID.fullmatch(folder.name):
        fix = "rename the folder to the scenario id it serves, e.g. 'product_failure'"
        issues.append(DataIssue(folder, (), f"'{folder.name}' is not a valid scenario id", fix))
        return None
    fatal: list[DataIssue] = []
    doc = _load_doc(folder / FRAMEWORK_FILE, fatal, FRAMEWORK_FILE, "message_frameworks/complaint/framework.yaml")
    framework: Framework | None = None
    if doc is not None:
        try:
            framework = Framework.model_validate(doc.data)
        except ValidationError as exc:
            fatal.extend(validation_issues(doc, exc, model=Framework))
        else:
            fatal.extend(_check_metadata(doc, framework, networks))
    # Templates are checked even when the metadata is broken, so one run shows every problem.
    raw_vars = doc.data.get("variables") if doc is not None else None
    declared = set(framework.variables) if framework else set(raw_vars if isinstance(raw_vars, dict) else ())
    templates, uses = _load_templates(folder, declared, env, fatal)
    issues.extend(fatal)
    issues.extend(_stray_files(folder))
    if fatal or framework is None:
        return None
    return LoadedFramework(folder.name, framework, networks[framework.network], folder, templates, uses)


def _check_metadata(doc: YamlDocument, fw: Framework, networks: dict[str, Network]) -> list[DataIssue]:
    """What the schema cannot see: the network exists, every stage and language is covered."""
    found: list[DataIssue] = []
    if fw.network not in networks:
        hint = did_you_mean(fw.network, networks)
        found.append(doc.issue(("network",), f"unknown network '{fw.network}'", f"{hint} (see {NETWORKS_FILE})"))
    for stage in STAGES:
        if stage not in fw.stages:
            found.append(
                doc.issue(("stages",), f"stage '{stage}' is missing", f"add '{stage}:' with its talking_points")
            )
    for stage in fw.stages:
        if stage not in STAGES:
            found.append(doc.issue(("stages", stage), f"unknown stage '{stage}'", did_you_mean(stage, STAGES)))
    for stage, body in fw.stages.items():
        ids = [point.id for point in body.talking_points]
        for i, point_id in enumerate(ids):
            if point_id in ids[:i]:
                loc = ("stages", stage, "talking_points", i, "id")
                found.append(doc.issue(loc, f"duplicate talking point '{point_id}'", "give it another id"))
    found.extend(_check_languages(doc, fw))
    return found


def _check_languages(doc: YamlDocument, fw: Framework) -> list[DataIssue]:
    """Every text a person reads exists in every language, and every required point can be linted."""
    found: list[DataIssue] = []
    for lang in LANGUAGES:
        fix = f"add '{lang}: ...'"
        if not fw.name.get(lang):
            found.append(doc.issue(("name",), f"no {lang} name", fix))
        for vname, var in fw.variables.items():
            if not var.label.get(lang):
                found.append(doc.issue(("variables", vname, "label"), f"no {lang} label", fix))
        for stage, body in fw.stages.items():
            for i, point in enumerate(body.talking_points):
                loc = ("stages", stage, "talking_points", i)
                if not point.text.get(lang):
                    found.append(doc.issue((*loc, "text"), f"no {lang} text for '{point.id}'", fix))
                if point.required and not any(cue.strip() for cue in point.cues.get(lang, [])):
                    cue_fix = f"add '{lang}: [...]': words whose presence shows the point was made"
                    found.append(doc.issue((*loc, "cues"), f"no {lang} cues for '{point.id}'", cue_fix))
    return found


def _load_templates(
    folder: Path, declared: set[str], env: FrameworkSandbox, fatal: list[DataIssue]
) -> tuple[dict[tuple[str, str], Template], dict[tuple[str, str], frozenset[str]]]:
    templates: dict[tuple[str, str], Template] = {}
    uses: dict[tuple[str, str], frozenset[str]] = {}
    for stage in STAGES:
        for lang in LANGUAGES:
            path = folder / template_name(stage, lang)
            compiled = _compile(path, stage, lang, declared, env, fatal)
            if compiled is not None:
                templates[(stage, lang)], uses[(stage, lang)] = compiled
    return templates, uses


def _compile(
    path: Path, stage: str, lang: str, declared: set[str], env: FrameworkSandbox, fatal: list[DataIssue]
) -> tuple[Template, frozenset[str]] | None:
    """Parse, check and compile one template; None (with issues added) if it cannot be used."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fatal.append(DataIssue(path, (), "template missing", f"create {path.name}: the {stage} draft in '{lang}'"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        fatal.append(DataIssue(path, (), f"cannot read the template: {exc}", "save it as UTF-8 text"))
        return None
    try:
        ast = env.parse(source, name=path.name, filename=str(path))
    except TemplateSyntaxError as exc:
        fix = "check that every {{ has its }} and every {% if %} its {% endif %}"
        fatal.append(DataIssue(path, (), f"template syntax error: {exc.message}", fix, exc.lineno))
        return None
    before = len(fatal)
    used = meta.find_undeclared_variables(ast)
    for name in sorted(used - declared):
        fix = f"declare '{name}' under variables: in {FRAMEWORK_FILE}, or {did_you_mean(name, declared)}"
        message = f"uses the variable '{name}', which {FRAMEWORK_FILE} does not declare"
        fatal.append(DataIssue(path, (), message, fix, variable_line(ast, name)))
    for name, line in unsafe_lookups(ast):
        fix = "remove it: templates may only use the framework's variables"
        fatal.append(DataIssue(path, (), f"reaches for '{name}', a Python internal", fix, line))
    if len(fatal) > before:
        return None
    code = env.compile(ast, name=path.name, filename=str(path))
    return env.template_class.from_code(env, code, env.make_globals(None)), frozenset(used)


def _stray_files(folder: Path) -> list[DataIssue]:
    """Files the library would ignore, most often a misspelt template name: said, not fatal."""
    expected = {FRAMEWORK_FILE} | {template_name(s, lang) for s in STAGES for lang in LANGUAGES}
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.name not in expected:
            hint = did_you_mean(path.name, expected)
            found.append(DataIssue(path, (), "this file is not used by the bot", f"rename or remove it: {hint}"))
    return found
