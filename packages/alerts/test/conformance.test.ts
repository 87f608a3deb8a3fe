import { describe, it } from 'vitest';
import { alertSinkConformance, type TestFunction } from '@tokens/test-suite';
import { createFakeClock } from '@tokens/core/testing';
import { routeAlerts } from '../src/index';
import { discordHarness, emailHarness, fileHarness, slackHarness, telegramHarness, webhookHarness } from './helpers/harnesses';

const test: TestFunction = it;

// Every channel against its real loopback receiver; no groups turned off.
describe('telegram', () => alertSinkConformance(test, () => telegramHarness()));
describe('slack', () => alertSinkConformance(test, () => slackHarness()));
describe('discord', () => alertSinkConformance(test, () => discordHarness()));
describe('webhook', () => alertSinkConformance(test, () => webhookHarness()));
describe('email', () => alertSinkConformance(test, () => emailHarness()));
describe('file', () => alertSinkConformance(test, () => fileHarness()));

// A routed channel that lets everything through is still a conforming sink.
describe('routed telegram', () =>
  alertSinkConformance(test, async () => {
    const h = await telegramHarness();
    return { ...h, sink: routeAlerts(h.sink, { minSeverity: 'info', rateLimit: { perKeyMs: 0 }, clock: createFakeClock() }) };
  }));
