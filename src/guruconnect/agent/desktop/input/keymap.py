"""From the viewer's DOM key events to X key presses: pure logic, no X connection.

The viewer sends ``code`` (the physical key, layout-independent) and ``key`` (what
its layout produced). Text is typed by *character*, so "é", "ß", "€" or "ж" arrive
whatever the two layouts are:

* a single printable ``key`` is typed through its keysym: Latin-1 characters are their
  own keysym, others ``0x1000000 + code point`` (or the legacy keysym the layout lists,
  e.g. Cyrillic_zhe). When the remote keymap has no keycode for it, a spare keycode is
  remapped to it for the time being (the xdotool technique). Shift is pressed or
  released around the character as the remote keymap needs, whatever the viewer holds.
* with Ctrl, Alt or Meta held, a letter or digit whose ``key`` is not ASCII (Cyrillic,
  Greek, macOS Option characters...) is mapped by ``code``: Ctrl+C is Ctrl+C on any
  layout. An ASCII ``key`` is used as is, so AZERTY's Ctrl+A stays Ctrl+A.
* Ctrl+Alt with a character that is not the key's US character is AltGr (Windows
  viewers report AltGr as ControlLeft+AltRight): Ctrl and Alt are lifted around it.
* other keys map from ``code`` (Enter, F1, ArrowLeft, ShiftLeft, numpad...), or from
  ``key`` when the code is unknown.

``KeyboardPlanner`` turns events into operations (map a spare keycode, press, release)
and remembers what is down, so ``release_all`` leaves no key stuck.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from guruconnect.agent.desktop.input._legacy_keysyms import LEGACY_KEYSYMS

NO_SYMBOL = 0
UNICODE_KEYSYM_BASE = 0x1000000

XK_Shift_L, XK_Shift_R = 0xFFE1, 0xFFE2
XK_Control_L, XK_Control_R = 0xFFE3, 0xFFE4
XK_Alt_L, XK_Alt_R = 0xFFE9, 0xFFEA
XK_Super_L, XK_Super_R = 0xFFEB, 0xFFEC

_NAMED: dict[str, int] = {
    "Backspace": 0xFF08,
    "Tab": 0xFF09,
    "Enter": 0xFF0D,
    "Pause": 0xFF13,
    "ScrollLock": 0xFF14,
    "Escape": 0xFF1B,
    "Home": 0xFF50,
    "ArrowLeft": 0xFF51,
    "ArrowUp": 0xFF52,
    "ArrowRight": 0xFF53,
    "ArrowDown": 0xFF54,
    "PageUp": 0xFF55,
    "PageDown": 0xFF56,
    "End": 0xFF57,
    "PrintScreen": 0xFF61,
    "Insert": 0xFF63,
    "ContextMenu": 0xFF67,
    "NumLock": 0xFF7F,
    "CapsLock": 0xFFE5,
    "Delete": 0xFFFF,
    "Clear": 0xFF9D,  # KP_Begin: numpad 5 without NumLock
}
_NAMED.update({f"F{n}": 0xFFBE + n - 1 for n in range(1, 25)})

# DOM KeyboardEvent.code -> keysym, for keys that do not type text.
CODE_KEYSYMS: dict[str, int] = {
    **{name: keysym for name, keysym in _NAMED.items() if name != "Clear"},
    "ShiftLeft": XK_Shift_L,
    "ShiftRight": XK_Shift_R,
    "ControlLeft": XK_Control_L,
    "ControlRight": XK_Control_R,
    "AltLeft": XK_Alt_L,
    "AltRight": XK_Alt_R,
    "MetaLeft": XK_Super_L,
    "MetaRight": XK_Super_R,
    "OSLeft": XK_Super_L,
    "OSRight": XK_Super_R,
    "NumpadEnter": 0xFF8D,
    "NumpadMultiply": 0xFFAA,
    "NumpadAdd": 0xFFAB,
    "NumpadComma": 0xFFAC,
    "NumpadSubtract": 0xFFAD,
    "NumpadDecimal": 0xFFAE,
    "NumpadDivide": 0xFFAF,
    "NumpadEqual": 0xFFBD,
    "Space": 0x20,
    **{f"Numpad{n}": 0xFFB0 + n for n in range(10)},
}

# DOM KeyboardEvent.key names -> keysym (used when ``code`` is unknown or a numpad key
# without NumLock, where ``key`` says "End", "ArrowUp"...).
KEY_KEYSYMS: dict[str, int] = {
    **_NAMED,
    "Shift": XK_Shift_L,
    "Control": XK_Control_L,
    "Alt": XK_Alt_L,
    "Meta": XK_Super_L,
    "OS": XK_Super_L,
}

MODIFIER_CODES: dict[str, Literal["shift", "ctrl", "alt", "meta"]] = {
    "ShiftLeft": "shift",
    "ShiftRight": "shift",
    "ControlLeft": "ctrl",
    "ControlRight": "ctrl",
    "AltLeft": "alt",
    "AltRight": "alt",
    "MetaLeft": "meta",
    "MetaRight": "meta",
    "OSLeft": "meta",
    "OSRight": "meta",
}

# Keys whose ``key`` must not be sent: composition happens in the viewer's browser.
IGNORED_KEYS = frozenset({"Dead", "Process", "Unidentified", "AltGraph", "Compose"})


def us_character(code: str) -> str | None:
    """The unshifted US character of a letter or digit key ("KeyC" -> "c")."""
    if len(code) == 4 and code.startswith("Key") and "A" <= code[3] <= "Z":
        return code[3].lower()
    if len(code) == 6 and code.startswith("Digit") and code[5].isdigit():
        return code[5]
    return None


def is_printable(key: str) -> bool:
    return len(key) == 1 and key.isprintable()


def char_keysyms(char: str) -> tuple[int, ...]:
    """Keysyms that type ``char``: the direct one first, then a legacy one if any."""
    point = ord(char)
    if 0x20 <= point <= 0x7E or 0xA0 <= point <= 0xFF:
        return (point,)
    legacy = LEGACY_KEYSYMS.get(point)
    unicode_keysym = UNICODE_KEYSYM_BASE + point
    return (unicode_keysym, legacy) if legacy else (unicode_keysym,)


@dataclass(frozen=True)
class Resolved:
    """What one key-down should produce on the remote side."""

    keysyms: tuple[int, ...]  # candidates, best first
    text: bool  # a character: shift is adjusted to produce exactly it
    lift: frozenset[str] = frozenset()  # held modifiers to release around it ("ctrl", "alt")


def resolve(code: str, key: str, held: frozenset[str] = frozenset()) -> Resolved | None:
    """Map a DOM key event to keysyms; ``held`` is the modifiers the viewer holds
    ("shift", "ctrl", "alt", "meta"). None: nothing to send."""
    if code in MODIFIER_CODES:
        return Resolved((CODE_KEYSYMS[code],), text=False)
    if key in IGNORED_KEYS:
        return None
    if is_printable(key):
        us = us_character(code)
        ascii_key = key.isascii()
        if held & {"ctrl", "alt", "meta"}:
            altgr = {"ctrl", "alt"} <= held and "meta" not in held and us != key.lower()
            if altgr and (not ascii_key or us is None or not key.isalnum()):
                return Resolved(char_keysyms(key), text=True, lift=frozenset({"ctrl", "alt"}))
            if not ascii_key and us is not None:
                return Resolved(char_keysyms(us), text=False)
        return Resolved(char_keysyms(key), text=True)
    if code.startswith("Numpad") and key in KEY_KEYSYMS:
        return Resolved((_numpad_navigation(key),), text=False)
    if code in CODE_KEYSYMS:
        return Resolved((CODE_KEYSYMS[code],), text=False)
    if key in KEY_KEYSYMS:
        return Resolved((KEY_KEYSYMS[key],), text=False)
    return None


_KP_NAVIGATION = {
    "Home": 0xFF95,
    "ArrowLeft": 0xFF96,
    "ArrowUp": 0xFF97,
    "ArrowRight": 0xFF98,
    "ArrowDown": 0xFF99,
    "PageUp": 0xFF9A,
    "PageDown": 0xFF9B,
    "End": 0xFF9C,
    "Clear": 0xFF9D,
    "Insert": 0xFF9E,
    "Delete": 0xFF9F,
}


def _numpad_navigation(key: str) -> int:
    return _KP_NAVIGATION.get(key, KEY_KEYSYMS[key])


# --- the remote keymap ------------------------------------------------------------------


@dataclass
class Keymap:
    """The X core keyboard mapping: keysyms per keycode, from ``min_keycode``."""

    min_keycode: int
    keysyms: list[list[int]]

    def lookup(self, keysym: int) -> tuple[int, int] | None:
        """(keycode, level) typing ``keysym`` at level 0 (plain) or 1 (shift), in group 1."""
        for level in (0, 1):
            for offset, syms in enumerate(self.keysyms):
                if len(syms) > level and syms[level] == keysym:
                    return self.min_keycode + offset, level
        return None

    def spare_keycodes(self) -> list[int]:
        """Keycodes bound to nothing, usable for temporary mappings."""
        return [
            self.min_keycode + offset for offset, syms in enumerate(self.keysyms) if not any(syms)
        ]

    def set(self, keycode: int, syms: Sequence[int]) -> None:
        self.keysyms[keycode - self.min_keycode] = list(syms)


Op = tuple[Literal["press", "release", "map"], int, int]  # (what, keycode, keysym for "map")


@dataclass
class _Down:
    keycode: int


@dataclass
class KeyboardPlanner:
    """Key events in, X operations out. One per worker; not thread-safe."""

    keymap: Keymap
    max_spares: int = 16
    _down: dict[str, _Down] = field(default_factory=dict)  # event id -> key held
    _held: dict[str, str] = field(default_factory=dict)  # modifier code -> kind
    _spares: OrderedDict[int, int] = field(default_factory=OrderedDict)  # keycode -> keysym
    _free_spares: list[int] = field(default_factory=list)
    unmapped: int = 0  # events with no keysym or no keycode to type them

    def __post_init__(self) -> None:
        self._free_spares = self.keymap.spare_keycodes()[: self.max_spares]

    @property
    def held_modifiers(self) -> frozenset[str]:
        return frozenset(self._held.values())

    @property
    def keys_down(self) -> list[int]:
        return [down.keycode for down in self._down.values()]

    @property
    def remapped(self) -> dict[int, int]:
        return dict(self._spares)

    def key(self, code: str, key: str, down: bool) -> list[Op]:
        ident = code or key
        if not ident:
            return []
        if not down:
            return self._release(ident)
        ops: list[Op] = []
        if ident in self._down:  # auto-repeat: lift it first, X wants press/release pairs
            ops += self._release(ident)
        resolved = resolve(code, key, self.held_modifiers)
        if resolved is None:
            return ops
        found = self._keycode_for(resolved.keysyms, ops)
        if found is None:
            self.unmapped += 1
            return ops
        keycode, level = found
        lift, add = self._modifiers_around(resolved, keycode, level)
        ops += [("release", kc, 0) for kc in lift]
        ops += [("press", kc, 0) for kc in add]
        ops.append(("press", keycode, 0))
        ops += [("release", kc, 0) for kc in reversed(add)]
        ops += [("press", kc, 0) for kc in reversed(lift)]
        self._down[ident] = _Down(keycode)
        if code in MODIFIER_CODES:
            self._held[code] = MODIFIER_CODES[code]
        return ops

    def release_all(self) -> list[Op]:
        ops: list[Op] = []
        for ident in list(self._down):
            ops += self._release(ident)
        return ops

    def restore(self) -> list[Op]:
        """Unbind every spare keycode we bound (on exit)."""
        ops: list[Op] = [("map", keycode, NO_SYMBOL) for keycode in self._spares]
        for keycode in self._spares:
            self.keymap.set(keycode, [])
        self._free_spares += list(self._spares)
        self._spares.clear()
        return ops

    # --- internals ---

    def _release(self, ident: str) -> list[Op]:
        down = self._down.pop(ident, None)
        self._held.pop(ident, None)
        if down is None:
            return []
        if down.keycode in self._spares:
            self._spares.move_to_end(down.keycode)
        return [("release", down.keycode, 0)]

    def _keycode_for(self, keysyms: tuple[int, ...], ops: list[Op]) -> tuple[int, int] | None:
        for keysym in keysyms:
            found = self.keymap.lookup(keysym)
            if found is not None:
                if found[0] in self._spares:
                    self._spares.move_to_end(found[0])
                return found
        keycode = self._take_spare()
        if keycode is None:
            return None
        keysym = keysyms[0]
        # Same keysym at both levels: shift makes no difference to what it types.
        self.keymap.set(keycode, [keysym, keysym])
        self._spares[keycode] = keysym
        ops.append(("map", keycode, keysym))
        return keycode, 0

    def _take_spare(self) -> int | None:
        if self._free_spares:
            return self._free_spares.pop(0)
        held = set(self.keys_down)
        for keycode in self._spares:  # least recently used first
            if keycode not in held:
                del self._spares[keycode]
                return keycode
        return None

    def _modifiers_around(
        self, resolved: Resolved, keycode: int, level: int
    ) -> tuple[list[int], list[int]]:
        """(held keycodes to lift, keycodes to add) around a key press."""
        lift: list[int] = []
        add: list[int] = []
        if resolved.lift:
            lift += [
                self._down[code].keycode
                for code, kind in self._held.items()
                if kind in resolved.lift
            ]
        if not resolved.text:
            return lift, add
        shift_down = [self._down[c].keycode for c, kind in self._held.items() if kind == "shift"]
        if level == 1 and not shift_down:
            shift = self.keymap.lookup(XK_Shift_L)
            if shift is not None:
                add.append(shift[0])
        elif level == 0 and shift_down and self._shift_matters(keycode):
            lift += shift_down
        return lift, add

    def _shift_matters(self, keycode: int) -> bool:
        # A remapped spare types the same keysym at both levels: shift is harmless.
        syms = self.keymap.keysyms[keycode - self.keymap.min_keycode]
        return len(syms) > 1 and syms[1] not in (NO_SYMBOL, syms[0])
