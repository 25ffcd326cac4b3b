"""DOM ``KeyboardEvent.code`` -> Windows virtual-key code, and which keys are "extended"
(the E0 prefix: without it Windows reads the right-hand keys as their numpad twins)."""

from __future__ import annotations

VK: dict[str, int] = {
    **{f"Key{chr(c)}": c for c in range(ord("A"), ord("Z") + 1)},
    **{f"Digit{d}": 0x30 + d for d in range(10)},
    **{f"F{n}": 0x6F + n for n in range(1, 25)},
    **{f"Numpad{d}": 0x60 + d for d in range(10)},
    "Backspace": 0x08, "Tab": 0x09, "Enter": 0x0D, "NumpadEnter": 0x0D,
    "ShiftLeft": 0xA0, "ShiftRight": 0xA1, "ControlLeft": 0xA2, "ControlRight": 0xA3,
    "AltLeft": 0xA4, "AltRight": 0xA5, "MetaLeft": 0x5B, "MetaRight": 0x5C,
    "Pause": 0x13, "CapsLock": 0x14, "Escape": 0x1B, "Space": 0x20,
    "PageUp": 0x21, "PageDown": 0x22, "End": 0x23, "Home": 0x24,
    "ArrowLeft": 0x25, "ArrowUp": 0x26, "ArrowRight": 0x27, "ArrowDown": 0x28,
    "PrintScreen": 0x2C, "Insert": 0x2D, "Delete": 0x2E, "ContextMenu": 0x5D,
    "NumpadMultiply": 0x6A, "NumpadAdd": 0x6B, "NumpadSubtract": 0x6D,
    "NumpadDecimal": 0x6E, "NumpadDivide": 0x6F, "NumLock": 0x90, "ScrollLock": 0x91,
    "Semicolon": 0xBA, "Equal": 0xBB, "Comma": 0xBC, "Minus": 0xBD, "Period": 0xBE,
    "Slash": 0xBF, "Backquote": 0xC0, "BracketLeft": 0xDB, "Backslash": 0xDC,
    "BracketRight": 0xDD, "Quote": 0xDE, "IntlBackslash": 0xE2,
    "AudioVolumeMute": 0xAD, "AudioVolumeDown": 0xAE, "AudioVolumeUp": 0xAF,
}  # fmt: skip

# ``key`` names of non-character keys, for events that carry no usable ``code``.
NAMED_KEYS: dict[str, str] = {
    "Enter": "Enter", "Tab": "Tab", "Backspace": "Backspace", "Escape": "Escape",
    "Delete": "Delete", "Insert": "Insert", "Home": "Home", "End": "End",
    "PageUp": "PageUp", "PageDown": "PageDown", "ArrowLeft": "ArrowLeft",
    "ArrowRight": "ArrowRight", "ArrowUp": "ArrowUp", "ArrowDown": "ArrowDown",
    "Shift": "ShiftLeft", "Control": "ControlLeft", "Alt": "AltLeft", "Meta": "MetaLeft",
    "CapsLock": "CapsLock", "ContextMenu": "ContextMenu", "PrintScreen": "PrintScreen",
    **{f"F{n}": f"F{n}" for n in range(1, 25)},
}  # fmt: skip

EXTENDED: frozenset[str] = frozenset({
    "ControlRight", "AltRight", "MetaLeft", "MetaRight", "Insert", "Delete", "Home", "End",
    "PageUp", "PageDown", "ArrowLeft", "ArrowUp", "ArrowRight", "ArrowDown", "NumLock",
    "NumpadDivide", "NumpadEnter", "PrintScreen", "ContextMenu",
})  # fmt: skip

SHORTCUT_MODIFIERS = frozenset(
    {"ControlLeft", "ControlRight", "AltLeft", "MetaLeft", "MetaRight"}
)  # AltRight is AltGr on many layouts: it produces characters, it is no shortcut


def utf16_units(char: str) -> list[int]:
    """UTF-16 code units of one character: a surrogate pair above U+FFFF (emoji)."""
    data = char.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
