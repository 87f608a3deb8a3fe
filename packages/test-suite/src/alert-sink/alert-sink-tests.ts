import type { AlertSeverityV1 } from '@tokens/core';
import type { TestFunction } from '../types';
import { captureError, errorName, prop, withDeadline } from '../internal';
import { makeAlert, withSink, type AlertSinkHarnessFactory, type AlertSinkSuiteOptions } from './harness';

export function alertSinkShapeTests(test: TestFunction, factory: AlertSinkHarnessFactory, _options: AlertSinkSuiteOptions = {}): void {
  test("alerts.shape: declares specificationVersion 'v1' and a non-empty name", ({ expect }) =>
    withSink(factory, async ({ sink }) => {
      expect(sink.specificationVersion).toBe('v1');
      expect(typeof sink.name).toBe('string');
      expect(sink.name.trim().length).toBeGreaterThan(0);
      expect(typeof sink.send).toBe('function');
    }));
}

export function alertSinkDeliveryTests(test: TestFunction, factory: AlertSinkHarnessFactory, _options: AlertSinkSuiteOptions = {}): void {
  test('alerts.delivery: send() delivers exactly once, with the title and the message visible', ({ expect }) =>
    withSink(factory, async (h) => {
      const alert = makeAlert();
      await h.sink.send(alert);
      const delivered = await h.deliveries();
      expect(delivered, 'one delivery').toHaveLength(1);
      const text = h.deliveryText(delivered[0]);
      expect(text).toContain(alert.title);
      expect(text).toContain(alert.message);
    }));

  test('alerts.delivery: the action URL is visible when the alert has an action', ({ expect }) =>
    withSink(factory, async (h) => {
      const alert = makeAlert();
      await h.sink.send(alert);
      const [delivery] = await h.deliveries();
      expect(h.deliveryText(delivery)).toContain(alert.action!.url);
    }));

  test('alerts.delivery: an alert without action, account or deadline renders no "undefined", "null" or "[object Object]"', ({ expect }) =>
    withSink(factory, async (h) => {
      const alert = makeAlert({ action: undefined, accountId: undefined, broker: undefined, deadline: undefined });
      await h.sink.send(alert);
      const delivered = await h.deliveries();
      expect(delivered).toHaveLength(1);
      const text = h.deliveryText(delivered[0]);
      expect(text).toContain(alert.title);
      for (const junk of ['undefined', 'null', '[object Object]', 'NaN']) expect(text).not.toContain(junk);
    }));

  test('alerts.delivery: two sends deliver two messages, in order', ({ expect }) =>
    withSink(factory, async (h) => {
      const first = makeAlert();
      const second = makeAlert();
      await h.sink.send(first);
      await h.sink.send(second);
      const delivered = await h.deliveries();
      expect(delivered).toHaveLength(2);
      expect(h.deliveryText(delivered[0])).toContain(first.title);
      expect(h.deliveryText(delivered[1])).toContain(second.title);
    }));
}

export function alertSinkSeverityTests(test: TestFunction, factory: AlertSinkHarnessFactory, _options: AlertSinkSuiteOptions = {}): void {
  test('alerts.severity: info, warning and critical alerts are all delivered', ({ expect }) =>
    withSink(factory, async (h) => {
      const severities: AlertSeverityV1[] = ['info', 'warning', 'critical'];
      const alerts = severities.map((severity) => makeAlert({ severity, kind: severity === 'critical' ? 'expired' : 'deadline' }));
      for (const alert of alerts) await h.sink.send(alert);
      const texts = (await h.deliveries()).map((d) => h.deliveryText(d));
      expect(texts).toHaveLength(3);
      alerts.forEach((alert, i) => expect(texts[i], `${alert.severity} alert`).toContain(alert.title));
    }));
}

export function alertSinkFailureTests(test: TestFunction, factory: AlertSinkHarnessFactory, _options: AlertSinkSuiteOptions = {}): void {
  for (const mode of ['server-error', 'reset'] as const) {
    test(`alerts.failure: a receiver failure ('${mode}') makes send() reject with a retryable error`, ({ expect }) =>
      withSink(factory, async (h) => {
        h.fail(mode);
        const error = await captureError(h.sink.send(makeAlert()), `send() under '${mode}'`);
        expect(error instanceof Error, `an Error, got ${errorName(error)}`).toBe(true);
        expect(prop(error, 'isRetryable'), 'isRetryable').toBe(true);
      }));
  }

  test('alerts.failure: after a failed delivery the next send() delivers normally', ({ expect }) =>
    withSink(factory, async (h) => {
      h.fail('server-error');
      await captureError(h.sink.send(makeAlert()), 'the failing send()');
      const alert = makeAlert();
      await h.sink.send(alert);
      const texts = (await h.deliveries()).map((d) => h.deliveryText(d));
      expect(texts.filter((t) => t.includes(alert.title)), 'the second alert is delivered once').toHaveLength(1);
    }));
}

export function alertSinkEscapingTests(test: TestFunction, factory: AlertSinkHarnessFactory, _options: AlertSinkSuiteOptions = {}): void {
  const cases: Array<[string, string, string]> = [
    ['HTML and quote characters', `Login <b>needed</b> & "now"`, `Tom's <i>token</i> & "refresh" <script>alert(1)</script> a<b&c>d`],
    ['Markdown characters', 'Refresh *failed* for _acct_ [x](y)', 'Chars: _ * [ ] ( ) ~ ` > # + - = | { } . ! \\ done'],
    ['Unicode, emoji and newlines', 'Session ₹ 🔑 नमस्ते', 'First line.\nSecond line: ✓ ü ß 日本'],
  ];
  for (const [what, title, message] of cases) {
    test(`alerts.escaping: ${what} in the title and message arrive exactly as written`, ({ expect }) =>
      withSink(factory, async (h) => {
        await h.sink.send(makeAlert({ title, message }));
        const delivered = await h.deliveries();
        expect(delivered).toHaveLength(1);
        const text = h.deliveryText(delivered[0]);
        expect(text).toContain(title);
        expect(text).toContain(message);
      }));
  }
}

export function alertSinkAbortTests(test: TestFunction, factory: AlertSinkHarnessFactory, options: AlertSinkSuiteOptions = {}): void {
  test('alerts.abort: an already-aborted signal rejects send() promptly and delivers nothing', ({ expect }) =>
    withSink(factory, async (h) => {
      const error = await withDeadline(
        captureError(h.sink.send(makeAlert(), { signal: AbortSignal.abort() }), 'send() with an aborted signal'),
        options.promptMs ?? 2000,
        'send()',
      );
      expect(error).toBeDefined();
      expect(await h.deliveries()).toHaveLength(0);
    }));
}
