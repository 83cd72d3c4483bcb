// When the PodMonitor informers start and stop: discovery's answer against
// whether they run (docs/operator.md, "Monitoring"). The informers themselves
// are test/unit/operator/informer.test.ts; the whole, against a real API
// server, test/integration/operator/monitoring.test.ts.
import { expect } from 'chai';
import { podMonitorWatchStep } from '../../../operator/controller/watched-pod-monitors.js';

describe('operator controller: when to watch PodMonitors', () => {
  it('starts watching once PodMonitors are served', () => {
    expect(podMonitorWatchStep(false, true)).to.equal('start');
  });

  it('stops watching once they are no longer served (the CRD was removed)', () => {
    expect(podMonitorWatchStep(true, false)).to.equal('stop');
  });

  it('keeps things as they are when discovery says what it said before', () => {
    expect(podMonitorWatchStep(true, true), 'a failed watch of a kind still served: the informer retries').to.equal('keep');
    expect(podMonitorWatchStep(false, false), 'still no CRD: nothing to watch').to.equal('keep');
  });
});
