// Turns already-mapped pointer/keyboard input into viewer messages: one increasing
// `seq` over every input event, pointer moves coalesced to one per animation frame
// (button changes and wheel steps are never dropped, and flush any pending move
// first so order is kept), key tracking so nothing sticks, and nothing at all unless
// this viewer is the controller.
import type { Point } from "./coords";
import { KeyTracker, comboSequence, keyEventToAction, textToActions, type KeyAction, type KeyEventLike } from "./keys";
import { keyMsg, pointerMsg, releaseAllMsg, type ClientMessage } from "./messages";
import { WheelAccumulator } from "./wheel";

export interface InputOptions {
  send: (msg: ClientMessage) => void;
  // requestAnimationFrame in the browser.
  requestFrame: (cb: () => void) => void;
  now: () => number;
}

export class InputController {
  private seqNo = 0;
  private on = false;
  private buttons = 0;
  private pos: Point | null = null;
  private pendingMove = false;
  private frameRequested = false;
  private readonly keys = new KeyTracker();
  private readonly wheel = new WheelAccumulator();

  constructor(private readonly opts: InputOptions) {}

  // Last seq sent (0 before any input).
  get seq(): number {
    return this.seqNo;
  }

  get enabled(): boolean {
    return this.on;
  }

  get heldKeys(): string[] {
    return this.keys.held;
  }

  // Input flows only while this viewer controls the machine (and the socket is open).
  // Losing control forgets what was held: the server releases it for us.
  setEnabled(on: boolean): void {
    if (!on) this.forget();
    this.on = on;
  }

  pointerMove(p: Point, buttons: number): void {
    if (!this.on) return;
    if (buttons !== this.buttons) {
      this.pointerButtons(p, buttons);
      return;
    }
    this.pos = p;
    this.pendingMove = true;
    if (!this.frameRequested) {
      this.frameRequested = true;
      this.opts.requestFrame(() => {
        this.frameRequested = false;
        this.flushMove();
      });
    }
  }

  // pointerdown / pointerup: sent at once, with the new button state.
  pointerButtons(p: Point, buttons: number): void {
    if (!this.on) return;
    this.pendingMove = false;
    this.pos = p;
    this.buttons = buttons;
    this.sendPointer(p, buttons, 0, 0);
  }

  wheelEvent(p: Point, deltaX: number, deltaY: number, deltaMode: number): void {
    if (!this.on) return;
    const steps = this.wheel.step(deltaX, deltaY, deltaMode, this.opts.now());
    if (!steps.x && !steps.y) return;
    this.pendingMove = false;
    this.pos = p;
    this.sendPointer(p, this.buttons, steps.x, steps.y);
  }

  // A keydown/keyup; returns true when the browser's own handling should be prevented.
  keyEvent(e: KeyEventLike): boolean {
    if (!this.on) return false;
    const action = keyEventToAction(e);
    if (!action) return false; // IME / dead keys: let the browser compose
    this.sendKeys(this.keys.handle(action));
    return true;
  }

  // Text composed by an IME (or inserted without keystrokes).
  text(data: string): void {
    if (!this.on || !data) return;
    this.sendKeys(textToActions(data));
  }

  combo(name: string): void {
    if (!this.on) return;
    this.sendKeys(comboSequence(name));
  }

  // Focus left the viewer: release every key and button on the remote side.
  releaseAll(): void {
    if (!this.on) return;
    this.flushMove();
    this.forget();
    this.opts.send(releaseAllMsg(++this.seqNo));
  }

  flushMove(): void {
    if (!this.pendingMove || !this.pos || !this.on) return;
    this.pendingMove = false;
    this.sendPointer(this.pos, this.buttons, 0, 0);
  }

  private forget(): void {
    this.keys.clear();
    this.wheel.reset();
    this.buttons = 0;
    this.pendingMove = false;
  }

  private sendPointer(p: Point, buttons: number, wheelX: number, wheelY: number): void {
    this.opts.send(pointerMsg({ seq: ++this.seqNo, x: p.x, y: p.y, buttons, wheel_x: wheelX, wheel_y: wheelY }));
  }

  private sendKeys(actions: KeyAction[]): void {
    if (!actions.length) return;
    this.flushMove();
    for (const a of actions) this.opts.send(keyMsg({ seq: ++this.seqNo, down: a.down, code: a.code, key: a.key }));
  }
}
