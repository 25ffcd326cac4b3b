import { describe, expect, it } from "vitest";
import { COMBOS, KeyTracker, comboSequence, keyEventToAction, textToActions, type KeyEventLike } from "../src/viewer/keys";

const down = (code: string, key: string, extra: Partial<KeyEventLike> = {}): KeyEventLike => ({ type: "keydown", code, key, ...extra });
const up = (code: string, key: string, extra: Partial<KeyEventLike> = {}): KeyEventLike => ({ type: "keyup", code, key, ...extra });

describe("keyEventToAction", () => {
  it("sends printable keys with their physical code and character", () => {
    expect(keyEventToAction(down("KeyA", "a"))).toEqual({ down: true, code: "KeyA", key: "a" });
    expect(keyEventToAction(up("KeyA", "a"))).toEqual({ down: false, code: "KeyA", key: "a" });
  });

  it("sends the shifted character as key, the unshifted physical key as code", () => {
    expect(keyEventToAction(down("KeyA", "A"))).toEqual({ down: true, code: "KeyA", key: "A" });
    expect(keyEventToAction(down("Digit1", "!"))).toEqual({ down: true, code: "Digit1", key: "!" });
  });

  it("sends non-ASCII characters from the local layout (é on a French keyboard)", () => {
    expect(keyEventToAction(down("Digit2", "é"))).toEqual({ down: true, code: "Digit2", key: "é" });
  });

  it("sends modifiers and named keys", () => {
    expect(keyEventToAction(down("ShiftLeft", "Shift"))).toEqual({ down: true, code: "ShiftLeft", key: "Shift" });
    expect(keyEventToAction(down("ControlRight", "Control"))).toEqual({ down: true, code: "ControlRight", key: "Control" });
    expect(keyEventToAction(down("MetaLeft", "Meta"))).toEqual({ down: true, code: "MetaLeft", key: "Meta" });
    expect(keyEventToAction(up("F5", "F5"))).toEqual({ down: false, code: "F5", key: "F5" });
  });

  it("sends repeats as downs so a held key repeats remotely", () => {
    expect(keyEventToAction(down("KeyX", "x", { repeat: true }))).toEqual({ down: true, code: "KeyX", key: "x" });
  });

  it("ignores dead keys and IME keystrokes", () => {
    expect(keyEventToAction(down("BracketLeft", "Dead"))).toBeNull();
    expect(keyEventToAction(up("BracketLeft", "Dead"))).toBeNull();
    expect(keyEventToAction(down("KeyK", "Process"))).toBeNull();
    expect(keyEventToAction(down("KeyK", "k", { keyCode: 229 }))).toBeNull();
    expect(keyEventToAction(down("KeyK", "k", { isComposing: true }))).toBeNull();
  });

  it("keeps the code of unidentified keys and drops events with nothing to send", () => {
    expect(keyEventToAction(down("Lang1", "Unidentified"))).toEqual({ down: true, code: "Lang1", key: "" });
    expect(keyEventToAction(down("", "Unidentified"))).toBeNull();
    expect(keyEventToAction({ type: "keypress", code: "KeyA", key: "a" })).toBeNull();
  });
});

describe("textToActions (IME / inserted text)", () => {
  it("sends one down/up pair per character with no code", () => {
    expect(textToActions("日本")).toEqual([
      { down: true, code: "", key: "日" },
      { down: false, code: "", key: "日" },
      { down: true, code: "", key: "本" },
      { down: false, code: "", key: "本" },
    ]);
  });

  it("keeps astral characters whole", () => {
    expect(textToActions("😀").map((a) => a.key)).toEqual(["😀", "😀"]);
  });
});

describe("KeyTracker", () => {
  it("sends a key-up only for keys whose down was sent", () => {
    const t = new KeyTracker();
    expect(t.handle({ down: false, code: "KeyA", key: "a" })).toEqual([]);
    expect(t.handle({ down: true, code: "KeyA", key: "a" })).toHaveLength(1);
    expect(t.handle({ down: true, code: "KeyA", key: "a" })).toHaveLength(1); // repeat
    expect(t.held).toEqual(["KeyA"]);
    // Shift released between down and up changes `key`, not the physical key.
    expect(t.handle({ down: false, code: "KeyA", key: "A" })).toEqual([{ down: false, code: "KeyA", key: "A" }]);
    expect(t.held).toEqual([]);
  });

  it("releases everything held, most recent first (focus lost)", () => {
    const t = new KeyTracker();
    t.handle({ down: true, code: "ControlLeft", key: "Control" });
    t.handle({ down: true, code: "ShiftLeft", key: "Shift" });
    t.handle({ down: true, code: "KeyT", key: "T" });
    expect(t.releaseAll()).toEqual([
      { down: false, code: "KeyT", key: "T" },
      { down: false, code: "ShiftLeft", key: "Shift" },
      { down: false, code: "ControlLeft", key: "Control" },
    ]);
    expect(t.held).toEqual([]);
    // Keys released after focus came back are not sent again.
    expect(t.handle({ down: false, code: "KeyT", key: "t" })).toEqual([]);
  });

  it("releases keys held under Command when Command goes up (macOS sends no keyup for them)", () => {
    const t = new KeyTracker();
    t.handle({ down: true, code: "MetaLeft", key: "Meta" });
    t.handle({ down: true, code: "ShiftLeft", key: "Shift" });
    t.handle({ down: true, code: "KeyC", key: "c" });
    expect(t.handle({ down: false, code: "MetaLeft", key: "Meta" })).toEqual([
      { down: false, code: "KeyC", key: "c" },
      { down: false, code: "MetaLeft", key: "Meta" },
    ]);
    expect(t.held).toEqual(["ShiftLeft"]);
  });

  it("tracks composed characters without a code by their key", () => {
    const t = new KeyTracker();
    t.handle({ down: true, code: "", key: "é" });
    expect(t.held).toEqual(["key:é"]);
    expect(t.handle({ down: false, code: "", key: "é" })).toHaveLength(1);
  });
});

describe("special key combinations", () => {
  it("Ctrl+Alt+Del: downs in order, ups in reverse", () => {
    expect(comboSequence("ctrl-alt-del")).toEqual([
      { down: true, code: "ControlLeft", key: "Control" },
      { down: true, code: "AltLeft", key: "Alt" },
      { down: true, code: "Delete", key: "Delete" },
      { down: false, code: "Delete", key: "Delete" },
      { down: false, code: "AltLeft", key: "Alt" },
      { down: false, code: "ControlLeft", key: "Control" },
    ]);
  });

  it("has the toolbar's combos with DOM codes", () => {
    const codes = (name: string) => comboSequence(name).map((a) => `${a.down ? "+" : "-"}${a.code}`);
    expect(codes("super")).toEqual(["+MetaLeft", "-MetaLeft"]);
    expect(codes("alt-tab")).toEqual(["+AltLeft", "+Tab", "-Tab", "-AltLeft"]);
    expect(codes("alt-f4")).toEqual(["+AltLeft", "+F4", "-F4", "-AltLeft"]);
    expect(codes("ctrl-esc")).toEqual(["+ControlLeft", "+Escape", "-Escape", "-ControlLeft"]);
    expect(codes("printscreen")).toEqual(["+PrintScreen", "-PrintScreen"]);
    expect(Object.keys(COMBOS)).toEqual(["ctrl-alt-del", "super", "alt-tab", "alt-f4", "ctrl-esc", "printscreen"]);
    expect(comboSequence("nope")).toEqual([]);
  });
});
