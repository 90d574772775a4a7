// "Invite room system" (dial-out): the host's dialog (protocol, address, display name)
// and one card per invited call. A card polls GET /calls/{id} every second until the
// call is final, offers Cancel while it rings and Hang up once it is connected
// (DELETE /calls/{id}), and stays a few seconds after the end so the outcome is read.

import { ApiError, Call, DialRequest, errorText } from './api';
import { callAction, callLabel, checkAddress, isFinal } from './calls';
import { h } from './dom';
import { Ctx } from './state';
import { modal } from './toolbar';

const POLL_MS = 1000;
/** how long a finished call's card stays up */
export const KEEP_FINISHED_MS = 8000;

class CallCard {
  readonly el: HTMLElement;
  private readonly nameEl = h('span', { class: 'cname', 'data-testid': 'call-name' });
  private readonly addrEl = h('span', { class: 'hint caddr', 'data-testid': 'call-address' });
  private readonly stateEl = h('span', { class: 'cstate', 'data-testid': 'call-label', role: 'status' });
  private readonly errEl = h('span', { class: 'error', 'data-testid': 'call-error' });
  private readonly actions = h('span', { class: 'cactions' });
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy = false;
  closed = false;

  constructor(
    private readonly board: CallBoard,
    public call: Call,
  ) {
    this.el = h('div', { class: 'call-card', 'data-testid': 'call-card', 'data-call-id': call.id },
      h('div', { class: 'cline' }, this.nameEl, this.stateEl), this.addrEl, this.errEl, this.actions);
    this.paint();
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    if (isFinal(this.call.state) || this.el.dataset.state === 'lost') {
      this.timer = setTimeout(() => this.board.remove(this), KEEP_FINISHED_MS);
      return;
    }
    this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  async poll(): Promise<void> {
    const { api, state } = this.board.ctx;
    try {
      this.set(await api.getCall(this.call.id, state.session));
    } catch (e) {
      // 401/403/404 will not get better (host right lost, call forgotten): stop.
      // Anything else (network, 5xx) is retried on the next tick.
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) {
        this.errEl.textContent = errorText(e);
        this.el.dataset.state = 'lost';
        this.stateEl.textContent = 'Unknown';
        this.actions.replaceChildren(this.dismissButton());
      }
    }
    this.schedule();
  }

  private set(c: Call): void {
    this.call = c;
    this.paint();
  }

  private paint(): void {
    const c = this.call;
    this.el.dataset.state = c.state;
    if (c.status) this.el.dataset.status = String(c.status);
    this.nameEl.textContent = c.display_name || c.address;
    this.addrEl.textContent = c.address;
    this.stateEl.textContent = callLabel(c);
    this.stateEl.className = `cstate ${c.state}`;
    if (this.busy) return;
    const act = callAction(c.state);
    if (act === 'cancel') {
      this.actions.replaceChildren(h('button', { class: 'small', 'data-testid': 'call-cancel', onclick: () => void this.hangup('Cancelling…') }, 'Cancel'));
    } else if (act === 'hangup') {
      this.actions.replaceChildren(h('button', { class: 'small danger', 'data-testid': 'call-hangup', onclick: () => void this.hangup('Hanging up…') }, 'Hang up'));
    } else {
      this.actions.replaceChildren(this.dismissButton());
    }
  }

  private dismissButton(): HTMLButtonElement {
    return h('button', { class: 'small', 'data-testid': 'call-dismiss', title: 'Dismiss', onclick: () => this.board.remove(this) }, 'Dismiss');
  }

  private async hangup(doing: string): Promise<void> {
    const { api, state } = this.board.ctx;
    this.busy = true;
    this.errEl.textContent = '';
    this.actions.replaceChildren(h('button', { class: 'small', disabled: true, 'data-testid': 'call-pending' }, doing));
    try {
      await api.hangup(this.call.id, state.session);
    } catch (e) {
      this.errEl.textContent = `Could not hang up: ${errorText(e)}`;
    }
    this.busy = false;
    this.paint();
    // read the outcome at once rather than on the next tick
    if (!this.closed && !isFinal(this.call.state)) {
      clearTimeout(this.timer);
      await this.poll();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.el.remove();
  }
}

/** CallBoard owns the invite dialog and the call cards of the meeting screen. */
export class CallBoard {
  readonly el = h('div', { class: 'calls', 'data-testid': 'calls' });
  private readonly cards = new Map<string, CallCard>();

  constructor(readonly ctx: Ctx) {}

  /** list gives the calls on the board, newest last. */
  list(): Call[] {
    return [...this.cards.values()].map((c) => c.call);
  }

  add(call: Call): void {
    if (this.cards.has(call.id)) return;
    const card = new CallCard(this, call);
    this.cards.set(call.id, card);
    this.el.append(card.el);
  }

  remove(card: CallCard): void {
    card.close();
    this.cards.delete(card.call.id);
  }

  /** close stops every poll (the meeting ended for us). */
  close(): void {
    for (const c of this.cards.values()) c.close();
    this.cards.clear();
  }

  /** open shows the "Invite room system" dialog. */
  open(): void {
    document.querySelector('[data-testid="invite-dialog"]')?.remove();
    const { api, state: s } = this.ctx;
    const protocol = h('select', { 'data-testid': 'invite-protocol' },
      h('option', { value: 'sip' }, 'SIP'),
      h('option', { value: 'h323', disabled: true }, 'H.323 (coming soon)'));
    const address = h('input', {
      'data-testid': 'invite-address', placeholder: 'sip:room@host:port or room@host', autocomplete: 'off', spellcheck: 'false',
    });
    const name = h('input', { 'data-testid': 'invite-name', placeholder: 'Board room', autocomplete: 'off' });
    const err = h('p', { class: 'error', 'data-testid': 'invite-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'invite-submit' }, 'Call');
    const close = () => dlg.remove();
    const send = async (ev: Event) => {
      ev.preventDefault();
      const why = checkAddress(protocol.value, address.value);
      err.textContent = why;
      if (why) {
        address.focus();
        return;
      }
      const req: DialRequest = { protocol: protocol.value as DialRequest['protocol'], address: address.value.trim() };
      if (name.value.trim()) req.display_name = name.value.trim();
      submit.disabled = true;
      try {
        this.add(await api.dialOut(s.meetingId, req, s.session));
        close();
      } catch (e) {
        err.textContent = errorText(e);
        submit.disabled = false;
      }
    };
    const form = h('form', { onsubmit: (ev: Event) => void send(ev) },
      h('h2', {}, 'Invite room system'),
      h('label', { class: 'field' }, h('span', {}, 'Protocol'), protocol),
      h('label', { class: 'field' }, h('span', {}, 'Address'), address),
      h('label', { class: 'field' }, h('span', {}, 'Display name (optional)'), name),
      err,
      h('div', { class: 'row' }, submit, h('button', { type: 'button', 'data-testid': 'invite-close', onclick: close }, 'Close')));
    const dlg = modal(form);
    dlg.dataset.testid = 'invite-dialog';
    dlg.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') close();
    });
    queueMicrotask(() => address.focus());
  }
}
