"""Paste as keystrokes: type a text on the remote keyboard, one character at a time.

Each character goes through the input backend as the DOM would describe its key
(``code`` empty, ``key`` the character), so the keymap logic types it: shift as
needed, and any character the layout lacks through a temporarily remapped keycode
(Unicode keysyms). Newline is Return and tab is Tab; other control characters are
skipped and counted. One job at a time: a new one cancels the one running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Literal

from guruconnect.agent.desktop.input import InputInjector
from guruconnect.protocol.clipboard import TypeProgress, TypeText

log = logging.getLogger("guruconnect.agent.desktop.typing")

PROGRESS_EVERY = 0.25  # seconds between progress reports
SPECIAL = {"\n": ("Enter", "Enter"), "\t": ("Tab", "Tab")}


def keystrokes(text: str) -> Iterator[tuple[str, str] | None]:
    """(code, key) per character typed; None for a character that cannot be typed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        if char in SPECIAL:
            yield SPECIAL[char]
        elif char.isprintable():
            yield ("", char)
        else:
            yield None


class Typist:
    def __init__(
        self, injector: InputInjector, send: Callable[[TypeProgress], Awaitable[None]]
    ) -> None:
        self.injector = injector
        self.send = send
        self._task: asyncio.Task[None] | None = None
        self._job = 0

    def start(self, request: TypeText) -> None:
        self.cancel()
        self._job = request.job
        self._task = asyncio.create_task(self._type(request))

    def cancel(self, job: int | None = None) -> None:
        if self._task is not None and not self._task.done() and job in (None, self._job):
            self._task.cancel()

    async def finished(self) -> None:
        """Wait for the running job to end on its own."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def close(self) -> None:
        self.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _type(self, request: TypeText) -> None:
        strokes = list(keystrokes(request.text))
        total = len(strokes)
        typed = skipped = 0
        loop = asyncio.get_running_loop()
        last_report = loop.time()
        state: Literal["done", "cancelled", "failed"] = "done"
        try:
            for stroke in strokes:
                if stroke is None:
                    skipped += 1
                else:
                    code, key = stroke
                    before = getattr(self.injector, "unmapped_keys", 0)
                    self.injector.key(code, key, True)
                    self.injector.key(code, key, False)
                    if getattr(self.injector, "unmapped_keys", 0) > before:
                        skipped += 1
                typed += 1
                if loop.time() - last_report >= PROGRESS_EVERY:
                    last_report = loop.time()
                    await self.send(TypeProgress(job=request.job, typed=typed, total=total,
                                                 skipped=skipped))  # fmt: skip
                await asyncio.sleep(request.interval_ms / 1000)
        except asyncio.CancelledError:
            state = "cancelled"
        except Exception:
            log.warning("typing job %d failed", request.job, exc_info=True)
            state = "failed"
        finally:
            self.injector.release_all()
        log.info("typing job %d %s: %d of %d characters", request.job, state, typed, total)
        final = TypeProgress(
            job=request.job, typed=typed, total=total, state=state, skipped=skipped
        )
        try:
            await self.send(final)
        except Exception:  # the socket closed meanwhile: nobody left to tell
            log.debug("could not report the end of typing job %d", request.job)
