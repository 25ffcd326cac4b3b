// What the viewer sends for keyboard input. Pure: the component feeds DOM events in
// and sends whatever comes out.
//
// `code` is the physical key (KeyboardEvent.code); `key` is the DOM key value, a single
// character for printable keys, so the agent can type the right text whatever the two
// keyboard layouts are. Dead keys and IME "Process" keystrokes are not sent: the
// character they produce arrives later (as the next keydown's `key`, or as composed
// text, which is sent as key down/up pairs with an empty code).
import { KEY_FIELD_MAX } from "./messages";

export interface KeyAction {
  down: boolean;
  code: string;
  key: string;
}

// The parts of KeyboardEvent we look at.
export interface KeyEventLike {
  type: string; // "keydown" | "keyup"
  code: string;
  key: string;
  repeat?: boolean;
  isComposing?: boolean;
  keyCode?: number;
}

// keyCode 229 is what browsers report for keystrokes an IME is consuming.
const IME_KEYCODE = 229;

export function keyEventToAction(e: KeyEventLike): KeyAction | null {
  if (e.type !== "keydown" && e.type !== "keyup") return null;
  if (e.isComposing || e.keyCode === IME_KEYCODE || e.key === "Process") return null;
  if (e.key === "Dead") return null;
  const code = e.code ?? "";
  let key = e.key ?? "";
  if (key === "Unidentified") key = "";
  if (!code && !key) return null;
  return { down: e.type === "keydown", code: code.slice(0, KEY_FIELD_MAX), key: key.slice(0, KEY_FIELD_MAX) };
}

// Composed text (IME, or a character inserted without a keystroke): one down/up pair
// per character (code point), with no physical key.
export function textToActions(text: string): KeyAction[] {
  const out: KeyAction[] = [];
  for (const ch of Array.from(text)) {
    if (ch === "\r") continue;
    const key = ch === "\n" ? "Enter" : ch;
    const code = ch === "\n" ? "Enter" : "";
    out.push({ down: true, code, key }, { down: false, code, key });
  }
  return out;
}

const MODIFIER_CODES = new Set([
  "ShiftLeft",
  "ShiftRight",
  "ControlLeft",
  "ControlRight",
  "AltLeft",
  "AltRight",
  "MetaLeft",
  "MetaRight",
  "OSLeft",
  "OSRight",
  "CapsLock",
]);

export function isModifier(code: string): boolean {
  return MODIFIER_CODES.has(code);
}

const keyId = (a: KeyAction) => a.code || `key:${a.key}`;

// Which keys the remote side believes are held, so nothing sticks: a key-up is only
// sent for a key whose down was sent, and everything held can be released at once.
export class KeyTracker {
  private readonly pressed = new Map<string, KeyAction>();

  // Returns the actions to send for one key event (possibly none, possibly several).
  handle(a: KeyAction): KeyAction[] {
    const id = keyId(a);
    if (a.down) {
      // Repeats are sent too (holding a key repeats on the remote side).
      this.pressed.delete(id);
      this.pressed.set(id, a);
      return [a];
    }
    if (!this.pressed.has(id)) return [];
    this.pressed.delete(id);
    const out: KeyAction[] = [];
    if (a.code === "MetaLeft" || a.code === "MetaRight") {
      // macOS never fires keyup for keys released while Command is held.
      for (const [otherId, held] of [...this.pressed].reverse()) {
        if (isModifier(held.code)) continue;
        this.pressed.delete(otherId);
        out.push({ down: false, code: held.code, key: held.key });
      }
    }
    out.push(a);
    return out;
  }

  // Key-ups for everything held, most recent first; afterwards nothing is held.
  releaseAll(): KeyAction[] {
    const out = [...this.pressed.values()].reverse().map((k) => ({ down: false, code: k.code, key: k.key }));
    this.pressed.clear();
    return out;
  }

  clear(): void {
    this.pressed.clear();
  }

  get held(): string[] {
    return [...this.pressed.keys()];
  }
}

// --- special key combinations (toolbar "Keys" menu) --------------------------------

interface ComboKey {
  code: string;
  key: string;
}

export interface Combo {
  label: string;
  keys: readonly ComboKey[];
}

const CTRL = { code: "ControlLeft", key: "Control" };
const ALT = { code: "AltLeft", key: "Alt" };

export const COMBOS: Readonly<Record<string, Combo>> = {
  "ctrl-alt-del": { label: "Ctrl+Alt+Del", keys: [CTRL, ALT, { code: "Delete", key: "Delete" }] },
  super: { label: "Windows / Super", keys: [{ code: "MetaLeft", key: "Meta" }] },
  "alt-tab": { label: "Alt+Tab", keys: [ALT, { code: "Tab", key: "Tab" }] },
  "alt-f4": { label: "Alt+F4", keys: [ALT, { code: "F4", key: "F4" }] },
  "ctrl-esc": { label: "Ctrl+Esc", keys: [CTRL, { code: "Escape", key: "Escape" }] },
  printscreen: { label: "Print Screen", keys: [{ code: "PrintScreen", key: "PrintScreen" }] },
};

// Every key down in order, then up in reverse order.
export function comboSequence(name: string): KeyAction[] {
  const combo = COMBOS[name];
  if (!combo) return [];
  const downs = combo.keys.map((k) => ({ down: true, code: k.code, key: k.key }));
  const ups = [...combo.keys].reverse().map((k) => ({ down: false, code: k.code, key: k.key }));
  return [...downs, ...ups];
}
