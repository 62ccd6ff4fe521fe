"""The console workspace's read-eval-print loop, interactive or driven by a script.

It speaks the same ``/crisis`` commands as Slack, through the same parser and service. A few
workspace commands (``/as``, ``/join`` ...) stand in for what a chat client's UI would do.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.adapters.console.forms import Filling, prompt
from bot.adapters.console.workspace import ConsoleWorkspace, Post
from bot.core.messaging.message import Message, Paragraph, line
from bot.core.model.crisis import Actor, Invocation
from bot.core.service import CrisisService

WORKSPACE_HELP = """Workspace commands:
  /crisis <command>   talk to crisisbot (try /crisis help)
  /as <person>        act as another person of the plan (see /people)
  /join <#channel>    move to a channel (see /channels)
  /channels           list channels    /people   list the plan's people
  /history [n]        last messages here
  /quit               leave (crises are kept in the database)
Anything else is posted as a message in the current channel."""


@dataclass
class Session:
    person_id: str
    channel: str = "general"
    # a form a button asked for (Edit, Request changes, the review ...): the next lines answer it
    form: Filling | None = None


class ConsoleApp:
    def __init__(self, service: CrisisService, workspace: ConsoleWorkspace, person_id: str | None = None) -> None:
        self.service = service
        self.ws = workspace
        self.console: Console = workspace.console
        plan = service.plan
        lead = plan.roles[plan.lead_role].people
        default = person_id or (lead[0] if lead else next(iter(plan.people)))
        if default not in plan.people:
            raise ValueError(f"unknown person '{default}'; choose one of: {', '.join(plan.people)}")
        self.session = Session(default)

    async def restore(self) -> None:
        """Recreate war rooms of earlier runs, so their channels still answer ``/crisis status``."""
        for crisis in await self.service.crises(limit=200):
            if crisis.room is not None and crisis.room.name not in self.ws.channels:
                channel = self.ws.add_channel(crisis.room.name, private=self.service.plan.war_room.private)
                channel.members.extend(p for p in crisis.people if p not in crisis.unreachable)

    def prompt(self) -> str:
        return f"{self.session.person_id}@#{self.session.channel}> "

    def banner(self) -> None:
        plan = self.service.plan
        self.console.print(
            Panel(
                Text.assemble(
                    ("crisisbot console workspace", "bold"),
                    f" · plan: {plan.company} · {len(plan.people)} people · ",
                    f"{len(plan.scenarios)} scenarios\n",
                    "Type /crisis help for commands, /help for the workspace, /quit to leave.",
                ),
                border_style="cyan",
            )
        )

    async def run_lines(self, lines: Iterable[str], echo: bool = True) -> None:
        for raw in lines:
            text = raw.strip()
            # while the console waits for an answer, every line is that answer (a #hashtag too)
            if not self.waiting and (not text or text.startswith("#")):
                continue
            if echo:
                self.console.print(Text(self.prompt() + text, style="bold"))
            if not await self.handle(text):
                break

    async def run_interactive(self) -> None:
        self.banner()
        async for text in self._read_stdin():
            if not await self.handle(text):
                break

    @property
    def waiting(self) -> bool:
        return self.session.form is not None

    async def _read_stdin(self) -> AsyncIterator[str]:
        """Read the terminal from the event loop itself (no thread), so Ctrl-C stops at once.

        A terminal delivers whole lines, so ``readline`` never blocks once the fd is readable.
        """
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        fd = sys.stdin.fileno()
        loop.add_reader(fd, lambda: lines.put_nowait(sys.stdin.readline() or None))
        try:
            while True:
                self.console.print(Text(self.prompt(), style="bold"), end="")
                text = await lines.get()
                if text is None:
                    break
                if text.strip() or self.waiting:
                    yield text.strip()
        finally:
            loop.remove_reader(fd)
            self.console.print()

    async def handle(self, text: str) -> bool:
        """Run one line; False means the user asked to leave."""
        if self.session.form is not None:
            await self._answer(text)
            return True
        if text.isdigit() and self.ws.choices:
            await self._choose(int(text))
            return True
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        match word.lower():
            case "/crisis":
                await self._crisis(rest)
            case "/as":
                self._switch_person(rest)
            case "/join":
                self._join(rest)
            case "/channels":
                for ch in self.ws.channels.values():
                    lock = "🔒" if ch.private else "#"
                    self.console.print(Text(f"  {lock}{ch.name} · {len(ch.members)} members · {ch.topic}"))
            case "/people":
                for pid, person in self.service.plan.people.items():
                    self.console.print(Text(f"  {pid}: {person.name} · {person.title}"))
            case "/history":
                self._history(rest)
            case "/help":
                self.console.print(Text(WORKSPACE_HELP))
            case "/quit" | "/exit":
                return False
            case _ if word.startswith("/"):
                self._notice(f"Unknown command {word}. Type /help for workspace commands or /crisis help.")
            case _:
                self._post_as_person(text)
        return True

    async def _crisis(self, text: str) -> None:
        """A command's reply is shown as it is: a form it carries (a bare ``start``) is for
        platforms that pop forms up; here the reply says what to type instead, and lines typed
        next stay commands, which keeps scripts predictable."""
        invocation = Invocation(actor=self.actor(), text=text, channel_id=self.session.channel)

        async def progress(message: Message) -> None:
            self.ws.show(message, subtitle="only visible to you")

        reply = await self.service.handle(invocation, progress)
        self.ws.show(reply, subtitle="only visible to you")

    def actor(self) -> Actor:
        person = self.service.plan.people[self.session.person_id]
        return Actor(platform_id=self.session.person_id, name=person.name, person_id=self.session.person_id)

    async def _choose(self, number: int) -> None:
        if not 1 <= number <= len(self.ws.choices):
            self._notice(f"Choose between 1 and {len(self.ws.choices)}.")
            return
        button = self.ws.choices[number - 1]
        reply = await self.service.press(button.action.value, button.value, self.actor())
        if reply.form is not None:
            self.session.form = Filling(reply.form)
            self._ask()
            return
        self.ws.show(reply, subtitle="only visible to you")

    def _ask(self) -> None:
        filling = self.session.form
        if filling is not None and (field := filling.current) is not None:
            self._notice(prompt(field))

    async def _answer(self, text: str) -> None:
        """The next field of the form being filled in (a script answers on its next lines)."""
        filling = self.session.form
        assert filling is not None, "only called while a form is being filled in"
        problem = filling.answer(text)
        if problem:
            self._notice(problem)
        if filling.current is not None:
            self._ask()
            return
        self.session.form = None
        form = filling.form
        reply = await self.service.submit(form.kind.value, form.payload, filling.values(), self.actor())
        self.ws.show(reply, subtitle="only visible to you")

    def _switch_person(self, who: str) -> None:
        plan = self.service.plan
        if who not in plan.people:
            self._notice(f"No person '{who}' in the plan. Try one of: {', '.join(plan.people)}")
            return
        self.session.person_id = who
        self._notice(f"You are now {plan.people[who].name}.")

    def _join(self, name: str) -> None:
        channel = self.ws.channel(name)
        if channel is None:
            self._notice(f"No channel '{name}'. Type /channels to see them.")
            return
        if self.session.person_id not in channel.members:
            channel.members.append(self.session.person_id)
        self.session.channel = channel.name
        self._notice(f"You are in #{channel.name}.")

    def _history(self, arg: str) -> None:
        channel = self.ws.channel(self.session.channel)
        count = int(arg) if arg.isdigit() else 10
        for post in channel.posts[-count:] if channel else []:
            self.console.print(Text(f"  {post.author}: ", style="bold"), Text(post.message.plain_text()))

    def _post_as_person(self, text: str) -> None:
        channel = self.ws.channel(self.session.channel)
        if channel is None:
            return
        message = Message(summary=text, blocks=(Paragraph((line(text),)),))
        channel.posts.append(Post(self.ws.next_id(), self.session.person_id, message))
        author = self.service.plan.person_name(self.session.person_id)
        self.console.print(Text.assemble((f"  {author}: ", "bold"), text))

    def _notice(self, text: str) -> None:
        self.console.print(Text(f"  {text}", style="yellow"))
