import { timingSafeEqual, createHash } from 'node:crypto';
import type { SecretValue } from './contracts/secret';

const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const secretMarker = Symbol.for('tokens.secret');

/**
 * A string that redacts itself in `toString`, `toJSON`, template literals and `util.inspect`.
 * Read it only with `reveal()`.
 */
export class Secret implements SecretValue {
  readonly #value: string;
  private readonly [secretMarker] = true;

  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError('Secret value must be a string.');
    this.#value = value;
  }

  static isInstance(value: unknown): value is Secret {
    return value != null && typeof value === 'object' && (value as Record<symbol, unknown>)[secretMarker] === true;
  }

  /** Wraps a string; passes an existing Secret through; undefined stays undefined. */
  static from(value: string | SecretValue): Secret;
  static from(value: string | SecretValue | undefined): Secret | undefined;
  static from(value: string | SecretValue | undefined): Secret | undefined {
    if (value === undefined) return undefined;
    if (Secret.isInstance(value)) return value;
    if (typeof value === 'string') return new Secret(value);
    return new Secret(value.reveal());
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  /** Constant-time comparison. */
  equals(other: SecretValue | string): boolean {
    const b = typeof other === 'string' ? other : other.reveal();
    const ha = createHash('sha256').update(this.#value).digest();
    const hb = createHash('sha256').update(b).digest();
    return timingSafeEqual(ha, hb);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return 'Secret([redacted])';
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/** Shows the last 4 characters only, for humans telling tokens apart ("…a1b2"). */
export function fingerprint(value: SecretValue | string | undefined): string {
  if (value === undefined) return 'none';
  const raw = typeof value === 'string' ? value : value.reveal();
  if (raw.length <= 8) return '…';
  return `…${raw.slice(-4)}`;
}

/**
 * Scrubs free text that may carry secrets (foreign error messages, URLs): removes query
 * strings and masks long token-looking runs.
 */
export function scrubText(text: string): string {
  return text
    .replace(/(https?:\/\/[^\s?#"']+)\?[^\s#"']*/g, '$1?[redacted]')
    .replace(/\b(Bearer|Basic|token)\s+[^\s"',]+/gi, '$1 [redacted]')
    .replace(/[A-Za-z0-9_\-+=~]{24,}/g, REDACTED);
}
