import { createHash } from 'node:crypto';
import { Secret } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { basicAuth, fyersAppIdHash, kiteChecksum, safeEqual, sha256Hex } from '../src';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('hashes', () => {
  it('sha256Hex concatenates parts', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('a', new Secret('b'), 'c')).toBe(sha('abc'));
    expect(sha256Hex()).toBe(sha(''));
  });

  it('fyersAppIdHash = sha256(appId:appSecret) as a Secret', () => {
    const hash = fyersAppIdHash('ABCDEFGH12-100', new Secret('S3CRET0001'));
    expect(hash.reveal()).toBe(sha('ABCDEFGH12-100:S3CRET0001'));
    expect(JSON.stringify({ hash })).toBe('{"hash":"[redacted]"}');
  });

  it('kiteChecksum = sha256(apiKey + token + apiSecret) as a Secret', () => {
    const checksum = kiteChecksum('kitekey', 'reqtoken32chars', 'kitesecret');
    expect(checksum.reveal()).toBe(sha('kitekeyreqtoken32charskitesecret'));
    expect(`${checksum}`).toBe('[redacted]');
  });

  it('basicAuth = "Basic base64(user:pass)"', () => {
    expect(basicAuth('app-key', new Secret('app:secret')).reveal()).toBe(`Basic ${Buffer.from('app-key:app:secret').toString('base64')}`);
  });

  it('safeEqual', () => {
    expect(safeEqual('a', new Secret('a'))).toBe(true);
    expect(safeEqual('a', 'b')).toBe(false);
    expect(safeEqual('a', 'aa')).toBe(false);
  });
});
