"""Keyboard mapping, pure: DOM (code, key) pairs to keysyms and X operations."""

from __future__ import annotations

from guruconnect.agent.desktop.input.keymap import (
    KeyboardPlanner,
    Keymap,
    XK_Alt_R,
    XK_Control_L,
    XK_Shift_L,
    char_keysyms,
    resolve,
)

# A small US-like keymap from keycode 8: (plain, shift) per keycode, some keycodes empty.
XK_Return, XK_F5, XK_Left, XK_KP_End = 0xFF0D, 0xFFC2, 0xFF51, 0xFF9C
US = {
    10: (ord("1"), ord("!")),
    24: (ord("q"), ord("Q")),
    26: (ord("e"), ord("E")),
    38: (ord("a"), ord("A")),
    54: (ord("c"), ord("C")),
    36: (XK_Return, 0),
    50: (XK_Shift_L, 0),
    37: (XK_Control_L, 0),
    108: (XK_Alt_R, 0),
    65: (ord(" "), 0),
    71: (XK_F5, 0),
    113: (XK_Left, 0),
    87: (XK_KP_End, 0),
}


def us_keymap() -> Keymap:
    return Keymap(8, [list(US.get(keycode, (0, 0))) for keycode in range(8, 256)])


def test_characters_map_to_keysyms() -> None:
    assert char_keysyms("a") == (ord("a"),)
    assert char_keysyms("é") == (0xE9,)  # Latin-1 is its own keysym
    assert char_keysyms("ß") == (0xDF,)
    assert char_keysyms("€") == (0x10020AC, 0x20AC)  # Unicode keysym, then EuroSign
    assert char_keysyms("ж") == (0x1000436, 0x6D6)  # then Cyrillic_zhe
    assert char_keysyms("漢") == (0x1006F22,)


def test_resolve_text_named_and_modifiers() -> None:
    assert resolve("KeyA", "a") is not None
    assert resolve("KeyA", "a").text  # type: ignore[union-attr]
    enter = resolve("Enter", "Enter")
    assert enter is not None and enter.keysyms == (XK_Return,) and not enter.text
    assert resolve("F5", "F5").keysyms == (XK_F5,)  # type: ignore[union-attr]
    assert resolve("ArrowLeft", "ArrowLeft").keysyms == (XK_Left,)  # type: ignore[union-attr]
    assert resolve("ShiftLeft", "Shift").keysyms == (XK_Shift_L,)  # type: ignore[union-attr]
    # Numpad without NumLock reports key "End": the keypad's End.
    assert resolve("Numpad1", "End").keysyms == (XK_KP_End,)  # type: ignore[union-attr]
    assert resolve("Numpad1", "1").keysyms == (ord("1"),)  # type: ignore[union-attr]
    assert resolve("", "Unidentified") is None
    assert resolve("Quote", "Dead") is None  # the composed character comes next
    assert resolve("AltRight", "AltGraph").keysyms == (XK_Alt_R,)  # type: ignore[union-attr]


def test_ctrl_with_a_non_latin_layout_maps_letters_by_code() -> None:
    # Russian viewer: Ctrl + the key at C types "\u0441" (Cyrillic); Ctrl+C is meant.
    ctrl_c = resolve("KeyC", "\u0441", frozenset({"ctrl"}))
    assert ctrl_c is not None and ctrl_c.keysyms == (ord("c"),) and not ctrl_c.text
    # AZERTY viewer: Ctrl + the key labelled A (code KeyQ) is Ctrl+A, by key.
    assert resolve("KeyQ", "a", frozenset({"ctrl"})).keysyms == (ord("a"),)  # type: ignore[union-attr]
    # Windows AltGr is Ctrl+Alt: "@" from AltGr+Q is typed as "@" with Ctrl and Alt lifted.
    at = resolve("KeyQ", "@", frozenset({"ctrl", "alt"}))
    assert at is not None and at.keysyms == (ord("@"),) and at.lift == {"ctrl", "alt"}
    # ...but Ctrl+Alt+T is a shortcut, not AltGr.
    ctrl_alt_t = resolve("KeyT", "t", frozenset({"ctrl", "alt"}))
    assert ctrl_alt_t is not None and not ctrl_alt_t.lift


def test_plain_and_shifted_characters() -> None:
    planner = KeyboardPlanner(us_keymap())
    assert planner.key("KeyA", "a", True) == [("press", 38, 0)]
    assert planner.key("KeyA", "a", False) == [("release", 38, 0)]
    # "A" needs shift on this keymap and the viewer holds none: shift around it.
    assert planner.key("KeyA", "A", True) == [
        ("press", 50, 0),
        ("press", 38, 0),
        ("release", 50, 0),
    ]
    assert planner.key("KeyA", "A", False) == [("release", 38, 0)]
    # The viewer holds shift already: just the key.
    assert planner.key("ShiftLeft", "Shift", True) == [("press", 50, 0)]
    assert planner.key("Digit1", "!", True) == [("press", 10, 0)]
    # A French viewer's shift+& gives "1": unshifted here, so shift is lifted around it.
    assert planner.key("Digit1", "!", False) == [("release", 10, 0)]
    assert planner.key("Digit1", "1", True) == [
        ("release", 50, 0),
        ("press", 10, 0),
        ("press", 50, 0),
    ]
    assert planner.key("Digit1", "1", False) == [("release", 10, 0)]
    # A space does not care about shift.
    assert planner.key("Space", " ", True) == [("press", 65, 0)]


def test_characters_missing_from_the_keymap_use_a_spare_keycode() -> None:
    planner = KeyboardPlanner(us_keymap())
    spare = us_keymap().spare_keycodes()[0]
    ops = planner.key("Semicolon", "é", True)
    assert ops == [("map", spare, 0xE9), ("press", spare, 0)]
    assert planner.key("Semicolon", "é", False) == [("release", spare, 0)]
    # Known now: no second remap, and shift held by the viewer does not matter.
    planner.key("ShiftLeft", "Shift", True)
    assert planner.key("Semicolon", "É", True)[0][0] == "map"  # É is another keysym
    planner.key("Semicolon", "É", False)
    assert planner.key("KeyE", "é", True) == [("press", spare, 0)]
    planner.key("KeyE", "é", False)
    for char in "ß€ж":
        planner.key("KeyX", char, True)
        planner.key("KeyX", char, False)
    assert set(planner.remapped.values()) >= {0xE9, 0xDF, 0x10020AC, 0x1000436}
    restore = planner.restore()
    assert {op[0] for op in restore} == {"map"} and all(op[2] == 0 for op in restore)
    assert planner.remapped == {}


def test_spares_are_reused_least_recently_used_first_never_while_held() -> None:
    planner = KeyboardPlanner(us_keymap(), max_spares=2)
    first = planner.key("KeyX", "é", True)[0][1]
    planner.key("KeyY", "ß", True)  # both spares now held
    assert planner.key("KeyZ", "ж", True) == []  # nothing free: dropped, counted
    assert planner.unmapped == 1
    planner.key("KeyX", "é", False)
    assert planner.key("KeyZ", "ж", True)[0] == ("map", first, 0x1000436)


def test_ctrl_c_on_a_russian_layout_and_release_all() -> None:
    planner = KeyboardPlanner(us_keymap())
    assert planner.key("ControlLeft", "Control", True) == [("press", 37, 0)]
    assert planner.key("KeyC", "\u0441", True) == [("press", 54, 0)]
    # AltGr from a Windows viewer: Ctrl+Alt held, "€" typed with both lifted around it.
    planner.key("AltRight", "Alt", True)
    ops = planner.key("KeyE", "€", True)
    spare = ops[0][1]
    assert ops == [
        ("map", spare, 0x10020AC),
        ("release", 37, 0),
        ("release", 108, 0),
        ("press", spare, 0),
        ("press", 108, 0),
        ("press", 37, 0),
    ]
    assert sorted(planner.keys_down) == sorted([37, 54, 108, spare])
    released = planner.release_all()
    assert sorted(op[1] for op in released) == sorted([37, 54, 108, spare])
    assert all(op[0] == "release" for op in released)
    assert planner.keys_down == [] and planner.held_modifiers == frozenset()
    assert planner.release_all() == []


def test_key_up_uses_what_went_down_and_repeats_are_paired() -> None:
    planner = KeyboardPlanner(us_keymap())
    planner.key("ShiftLeft", "Shift", True)
    assert planner.key("KeyA", "A", True) == [("press", 38, 0)]
    planner.key("ShiftLeft", "Shift", False)
    # Released after shift: the browser now says "a"; the same keycode goes up.
    assert planner.key("KeyA", "a", False) == [("release", 38, 0)]
    assert planner.key("KeyA", "a", False) == []  # a stray up is harmless
    planner.key("KeyQ", "q", True)
    assert planner.key("KeyQ", "q", True) == [("release", 24, 0), ("press", 24, 0)]
