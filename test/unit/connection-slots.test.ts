import { expect } from 'chai';
import { ConnectionSlots } from '../../dataplane/http/connection-slots.js';

/** Slots whose "worked on" connections are the ones in `working`. */
function slotsOf(capacity: number, working = new Set<string>()): ConnectionSlots<string> {
  return new ConnectionSlots(capacity, (connection) => working.has(connection));
}

describe('connection slots: who gives way at the cap', () => {
  it('admits up to the capacity and closes nothing', () => {
    const slots = slotsOf(3);
    expect(['a', 'b', 'c'].map((c) => slots.admit(c))).to.deep.equal([undefined, undefined, undefined]);
    expect(slots.size).to.equal(3);
  });

  it('past the capacity, closes the connection idle the longest, not the newcomer', () => {
    const slots = slotsOf(2);
    slots.admit('a');
    slots.admit('b');
    expect(slots.admit('c')).to.equal('a');
    expect(slots.size).to.equal(2);
    expect(slots.admit('d')).to.equal('b');
  });

  it('keeps a connection the process works on, though it is the oldest', () => {
    const working = new Set(['working']);
    const slots = slotsOf(2, working);
    slots.admit('working');
    slots.admit('slow-head');
    expect(slots.admit('new')).to.equal('slow-head');
  });

  it('counts a keep-alive connection as waiting from its last request, so an older unfinished head goes first', () => {
    const slots = slotsOf(2);
    slots.admit('keep-alive');
    slots.admit('slow-head');
    slots.requestStarted('keep-alive');
    expect(slots.admit('new')).to.equal('slow-head');
  });

  it('closes a connection once the process stops working on it, as any other waiting on its client', () => {
    const working = new Set(['answering']);
    const slots = slotsOf(2, working);
    slots.admit('answering');
    slots.admit('idle');
    expect(slots.admit('new'), 'its answer is being written').to.equal('idle');
    working.delete('answering'); // its answer is now stuck behind a client that does not read
    expect(slots.admit('newer')).to.equal('answering');
  });

  it('turns the newcomer away only when every other connection is being worked on', () => {
    const slots = slotsOf(2, new Set(['a', 'b']));
    slots.admit('a');
    slots.admit('b');
    expect(slots.admit('c')).to.equal('c');
    expect(slots.size).to.equal(2);
  });

  it('frees a slot when a connection closes', () => {
    const slots = slotsOf(1);
    slots.admit('a');
    slots.closed('a');
    expect(slots.admit('b')).to.equal(undefined);
    expect(slots.size).to.equal(1);
  });

  it('ignores requests on connections it does not hold (closed, or the one just turned away)', () => {
    const slots = slotsOf(1);
    slots.requestStarted('ghost');
    expect(slots.size).to.equal(0);
  });
});
