import assert from 'node:assert/strict';
import { isFromMetricsView } from '../../protocol/metrics';
import { formatCount, formatMs, formatPercent, formatUsd } from '../../webview-ui/metrics/format';

describe('the Metrics view', () => {
  it('takes only the messages its webview may send', () => {
    assert.ok(isFromMetricsView({ type: 'ready', window: '24h' }));
    assert.ok(isFromMetricsView({ type: 'window', window: '7d' }));
    assert.ok(isFromMetricsView({ type: 'refresh' }));
    for (const garbage of [null, 'refresh', 42, {}, { type: 'window' }, { type: 'window', window: '100y' }, { type: 'ready', window: { toString: '1h' } }, { type: 'runTask' }, { type: '__proto__' }]) {
      assert.equal(isFromMetricsView(garbage), false, JSON.stringify(garbage));
    }
  });

  it('writes numbers short enough for a tile', () => {
    assert.deepEqual([formatMs(null), formatMs(850.4), formatMs(1234), formatMs(12_345), formatMs(150_000)], ['–', '850 ms', '1.23 s', '12.3 s', '2 min 30 s']);
    assert.deepEqual([formatPercent(null), formatPercent(1 / 3), formatPercent(1)], ['–', '33.3%', '100%']);
    assert.deepEqual([formatUsd(null), formatUsd(0), formatUsd(0.004217), formatUsd(12.5)], ['–', '$0', '$0.0042', '$12.50']);
    assert.deepEqual([formatCount(999), formatCount(1500), formatCount(151_000), formatCount(2_500_000)], ['999', '1.5k', '151k', '2.5M']);
  });
});
