import { describe, expect, it } from "vitest";
import { InputController } from "../src/viewer/input";
import type { ClientMessage } from "../src/viewer/messages";

function harness() {
  const sent: ClientMessage[] = [];
  const frames: Array<() => void> = [];
  let now = 0;
  const input = new InputController({
    send: (m) => sent.push(m),
    requestFrame: (cb) => frames.push(cb),
    now: () => now,
  });
  const runFrame = () => {
    const fs = frames.splice(0);
    for (const f of fs) f();
  };
  return { input, sent, runFrame, advance: (ms: number) => (now += ms) };
}

describe("InputController", () => {
  it("sends nothing unless this viewer has control", () => {
    const { input, sent, runFrame } = harness();
    input.pointerButtons({ x: 1, y: 1 }, 1);
    input.pointerMove({ x: 2, y: 2 }, 1);
    runFrame();
    expect(input.keyEvent({ type: "keydown", code: "KeyA", key: "a" })).toBe(false);
    input.combo("ctrl-alt-del");
    input.releaseAll();
    expect(sent).toEqual([]);
  });

  it("coalesces moves to one per animation frame, keeping the latest position", () => {
    const { input, sent, runFrame } = harness();
    input.setEnabled(true);
    input.pointerMove({ x: 1, y: 1 }, 0);
    input.pointerMove({ x: 2, y: 2 }, 0);
    input.pointerMove({ x: 3, y: 4 }, 0);
    expect(sent).toEqual([]);
    runFrame();
    expect(sent).toEqual([{ type: "pointer", seq: 1, x: 3, y: 4 }]);
    runFrame();
    expect(sent).toHaveLength(1);
  });

  it("never drops button changes and keeps order with pending moves", () => {
    const { input, sent, runFrame } = harness();
    input.setEnabled(true);
    input.pointerMove({ x: 5, y: 5 }, 0);
    input.pointerButtons({ x: 6, y: 6 }, 1); // down
    input.pointerMove({ x: 7, y: 7 }, 1); // drag
    input.pointerMove({ x: 8, y: 8 }, 3); // right button added mid-drag (chorded: a move event)
    input.pointerButtons({ x: 8, y: 8 }, 0); // up
    runFrame();
    expect(sent).toEqual([
      { type: "pointer", seq: 1, x: 6, y: 6, buttons: 1 },
      { type: "pointer", seq: 2, x: 8, y: 8, buttons: 3 },
      { type: "pointer", seq: 3, x: 8, y: 8 },
    ]);
  });

  it("sends wheel steps with the held buttons", () => {
    const { input, sent } = harness();
    input.setEnabled(true);
    input.wheelEvent({ x: 10, y: 20 }, 0, 100, 0);
    input.wheelEvent({ x: 10, y: 20 }, 0, 0, 0);
    expect(sent).toEqual([{ type: "pointer", seq: 1, x: 10, y: 20, wheel_y: 1 }]);
  });

  it("sends keys with increasing seq, flushing a pending move first", () => {
    const { input, sent } = harness();
    input.setEnabled(true);
    input.pointerMove({ x: 1, y: 2 }, 0);
    expect(input.keyEvent({ type: "keydown", code: "ShiftLeft", key: "Shift" })).toBe(true);
    expect(input.keyEvent({ type: "keydown", code: "KeyE", key: "É" })).toBe(true);
    expect(input.keyEvent({ type: "keyup", code: "KeyE", key: "É" })).toBe(true);
    expect(input.keyEvent({ type: "keydown", code: "Quote", key: "Dead" })).toBe(false);
    expect(sent.map((m) => [m.type, m.seq])).toEqual([
      ["pointer", 1],
      ["key", 2],
      ["key", 3],
      ["key", 4],
    ]);
    expect(sent[2]).toEqual({ type: "key", seq: 3, down: true, code: "KeyE", key: "É" });
    expect(input.seq).toBe(4);
  });

  it("sends IME text and combos as key down/up pairs", () => {
    const { input, sent } = harness();
    input.setEnabled(true);
    input.text("é");
    input.combo("alt-tab");
    expect(sent.map((m) => `${m.down ? "+" : "-"}${m.code || m.key}`)).toEqual(["+é", "-é", "+AltLeft", "+Tab", "-Tab", "-AltLeft"]);
  });

  it("release_all on focus loss forgets held keys, so their late key-ups are not sent", () => {
    const { input, sent } = harness();
    input.setEnabled(true);
    input.keyEvent({ type: "keydown", code: "ControlLeft", key: "Control" });
    input.pointerButtons({ x: 0, y: 0 }, 1);
    expect(input.heldKeys).toEqual(["ControlLeft"]);
    input.releaseAll();
    expect(sent[sent.length - 1]).toEqual({ type: "release_all", seq: 3 });
    expect(input.heldKeys).toEqual([]);
    expect(input.keyEvent({ type: "keyup", code: "ControlLeft", key: "Control" })).toBe(true);
    expect(sent).toHaveLength(3);
    // The button state was reset too: the next move is a plain move.
    input.pointerMove({ x: 1, y: 1 }, 0);
    input.flushMove();
    expect(sent[3]).toEqual({ type: "pointer", seq: 4, x: 1, y: 1 });
  });

  it("losing control stops input at once", () => {
    const { input, sent, runFrame } = harness();
    input.setEnabled(true);
    input.pointerMove({ x: 1, y: 1 }, 0);
    input.setEnabled(false);
    runFrame();
    expect(sent).toEqual([]);
  });
});
