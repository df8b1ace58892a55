/**
 * The pieces of the HTTP API's per-client bounds, without a server: the key a client is
 * limited under (an IPv6 client is its /64), the token bucket and its memory bound, and
 * the Host names the allow-list reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientLimiter, clientKey, HostAllowList } from '../../../explorer/server/index.js';

describe('clientKey', () => {
  it('an IPv4 client is its address, mapped or not; an IPv6 client its /64', () => {
    assert.equal(clientKey('10.0.0.7'), '10.0.0.7');
    assert.equal(clientKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey(undefined), 'unknown');
  });
});

describe('ClientLimiter', () => {
  const options = {
    requestsPerSecond: 10,
    burstRequests: 3,
    maxConcurrentRequestsPerClient: 2,
    maxTrackedClients: 3,
  };

  it('refills at requestsPerSecond up to the burst, and says when to retry', () => {
    let now = 0;
    const limiter = new ClientLimiter({ ...options, maxConcurrentRequestsPerClient: 100 }, () => now);
    for (let i = 0; i < 3; i++) assert.equal(limiter.admit('a').admitted, true);
    const refused = limiter.admit('a');
    assert.deepEqual(refused, { admitted: false, reason: 'rate', retryAfterSeconds: 1 });
    now += 100; // one token at 10/s
    assert.equal(limiter.admit('a').admitted, true);
    assert.equal(limiter.admit('a').admitted, false);
    now += 10_000; // never more than the burst
    for (let i = 0; i < 3; i++) assert.equal(limiter.admit('a').admitted, true);
    assert.equal(limiter.admit('a').admitted, false);
  });

  it('counts requests in progress until released (once)', () => {
    let now = 0;
    const limiter = new ClientLimiter({ ...options, burstRequests: 100 }, () => now);
    const first = limiter.admit('a');
    const second = limiter.admit('a');
    assert.ok(first.admitted && second.admitted);
    assert.deepEqual(limiter.admit('a'), { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
    first.release();
    first.release();
    now += 1000;
    const third = limiter.admit('a');
    assert.equal(third.admitted, true);
    assert.equal(limiter.admit('a').admitted, false, 'a double release did not free a second slot');
  });

  it('remembers at most maxTrackedClients, forgetting the least recently seen idle one', () => {
    const limiter = new ClientLimiter(options, () => 0);
    const busy = limiter.admit('busy');
    assert.ok(busy.admitted);
    for (let i = 0; i < 1000; i++) {
      const admission = limiter.admit(`client-${i}`);
      if (admission.admitted) admission.release();
    }
    assert.equal(limiter.trackedClients(), 3);
    // the client with a request in progress was not forgotten: its slot is still taken
    assert.ok(limiter.admit('busy').admitted);
    assert.deepEqual(limiter.admit('busy'), { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
  });
});

describe('HostAllowList', () => {
  it('reads the name out of a Host header: port, brackets, case and a trailing dot aside', () => {
    const hosts = new HostAllowList('node.example', ['api.example']);
    for (const ok of [
      'node.example:8080',
      'NODE.EXAMPLE',
      'api.example.',
      'localhost',
      '[::1]:80',
      '192.0.2.1:1',
    ])
      assert.equal(hosts.allows(ok), true, ok);
    for (const bad of ['evil.example', 'api.example.evil', 'localhost.evil', '', 'node.example@evil'])
      assert.equal(hosts.allows(bad), false, bad);
    assert.equal(hosts.allows(undefined), true, 'HTTP/1.0 without Host');
  });
});
