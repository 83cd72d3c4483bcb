import { expect } from 'chai';
import { ConnectionSlots } from '../../dataplane/http/connection-slots.js';

/** A request as the slots see it: whether it waits on its client (body arriving, answer unread). */
interface Request {
  waitsOnClient: boolean;
}

const slotsOf = (capacity: number): ConnectionSlots<string, Request> => new ConnectionSlots(capacity, (r) => r.waitsOnClient);

describe('connection slots: who gives way at the cap', () => {
  it('admits up to the capacity and closes nothing', () => {
    const slots = slotsOf(3);
    expect(['a', 'b', 'c'].map((c, at) => slots.admit(c, at))).to.deep.equal([undefined, undefined, undefined]);
    expect(slots.size).to.equal(3);
  });

  it('past the capacity, closes the connection idle the longest, not the newcomer', () => {
    const slots = slotsOf(2);
    slots.admit('a', 0);
    slots.admit('b', 10);
    expect(slots.admit('c', 20)).to.equal('a');
    expect(slots.size).to.equal(2);
    expect(slots.admit('d', 30)).to.equal('b');
  });

  it('keeps a connection the process works on, and closes one whose body still trickles in', () => {
    const slots = slotsOf(2);
    slots.admit('working', 0);
    slots.requestStarted('working', { waitsOnClient: false }, 1);
    slots.admit('slow-body', 5);
    slots.requestStarted('slow-body', { waitsOnClient: true }, 6);
    expect(slots.admit('new', 50)).to.equal('slow-body');
  });

  it('counts a keep-alive connection as waiting from its last answer', () => {
    const slots = slotsOf(2);
    const request = { waitsOnClient: false };
    slots.admit('keep-alive', 0);
    slots.admit('slow-head', 10);
    slots.requestStarted('keep-alive', request, 20);
    slots.requestEnded('keep-alive', request, 30);
    expect(slots.admit('new', 40)).to.equal('slow-head');
  });

  it('waits on a pipelined connection only while every request on it waits on the client', () => {
    const slots = slotsOf(2);
    const answering = { waitsOnClient: false };
    slots.admit('pipelined', 0);
    slots.requestStarted('pipelined', answering, 1);
    slots.requestStarted('pipelined', { waitsOnClient: true }, 2);
    slots.admit('idle', 5);
    expect(slots.admit('new', 10), 'one request is being answered').to.equal('idle');
    answering.waitsOnClient = true; // its answer is now stuck behind a client that does not read
    expect(slots.admit('newer', 20), 'waiting since its oldest request began').to.equal('pipelined');
  });

  it('turns the newcomer away only when every other connection is being worked on', () => {
    const slots = slotsOf(2);
    for (const [c, at] of [['a', 0], ['b', 1]] as const) {
      slots.admit(c, at);
      slots.requestStarted(c, { waitsOnClient: false }, at);
    }
    expect(slots.admit('c', 10)).to.equal('c');
    expect(slots.size).to.equal(2);
  });

  it('picks the earlier connection on a tie, so a newcomer admitted in the same instant stays', () => {
    const slots = slotsOf(1);
    slots.admit('first', 7);
    expect(slots.admit('second', 7)).to.equal('first');
  });

  it('frees a slot when a connection closes', () => {
    const slots = slotsOf(1);
    slots.admit('a', 0);
    slots.closed('a');
    expect(slots.admit('b', 1)).to.equal(undefined);
    expect(slots.size).to.equal(1);
  });

  it('ignores requests on connections it does not hold (closed, or the one just turned away)', () => {
    const slots = slotsOf(1);
    slots.requestStarted('ghost', { waitsOnClient: false }, 0);
    slots.requestEnded('ghost', { waitsOnClient: false }, 1);
    expect(slots.size).to.equal(0);
  });
});
